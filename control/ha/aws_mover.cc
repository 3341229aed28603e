#include "control/ha/aws_mover.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <utility>
#include <vector>

namespace sluice::control::ha {
namespace {

// Cached credentials are renewed this long before they expire (checked before each request),
// so that none expires between signing and AWS's check, a clock's skew included. The metadata
// service hands out role credentials well before their end; those a take-over fetched itself
// are used to their end, so that short-lived ones cannot make it fetch forever.
constexpr int64_t kCredentialMarginS = 5 * 60;

// "1 call", "3 calls".
std::string calls_text(size_t n) { return std::to_string(n) + (n == 1 ? " call" : " calls"); }

int64_t wall_clock_s() { return static_cast<int64_t>(std::time(nullptr)); }

// Keeps a judged value where it belongs when the step did what it was for.
template <class T, class Into>
Judgement keep(Judged<T> judged, Into& into) {
  if (judged.verdict == Verdict::done) into = std::move(judged.value);
  return judged;
}

}  // namespace

struct AwsMover::Job {
  std::string instance;
  AwsSettings settings;
  std::vector<Ec2Call> calls;
  size_t next_call = 0;
  size_t failed_calls = 0;
  std::string token;  // this take-over's metadata session
  std::string role;
  bool own_credentials = false;  // fetched by this take-over: good until they expire
  Step step = Step::token;       // in flight, or last sent
  // Tries of each kind of request since it last succeeded: a token fetched again after a 401
  // does not reset the count of the request that was refused.
  std::array<uint32_t, static_cast<size_t>(Step::finished)> attempts{};
  Timer wake;  // the next request: at once, or after a backoff
  std::unique_ptr<AwsExchange> exchange;

  uint32_t& attempt() { return attempts[static_cast<size_t>(step)]; }
};

AwsMover::AwsMover(EventLoop& loop, Report report, AwsTiming timing)
    : loop_(loop), report_(std::move(report)), timing_(timing), http_(loop) {}

// jobs_ goes before http_ (declared after it): their transfers leave the client first.
AwsMover::~AwsMover() = default;

void AwsMover::take_over(const std::string& instance, const AwsMoves& moves,
                         const AwsSettings& settings) {
  cancel(instance);
  auto job = std::make_unique<Job>();
  Job& j = *job;
  j.instance = instance;
  j.settings = settings;
  j.calls = ec2_calls(moves);
  j.wake = loop_.timer([this, &j] { send(j); });
  j.wake.start(0, 0);
  jobs_[instance] = std::move(job);
  counters_[instance].moving = true;
}

void AwsMover::cancel(const std::string& instance) {
  jobs_.erase(instance);
  if (const auto it = counters_.find(instance); it != counters_.end()) it->second.moving = false;
}

AwsCounters AwsMover::counters(const std::string& instance) const {
  const auto it = counters_.find(instance);
  return it == counters_.end() ? AwsCounters{} : it->second;
}

bool AwsMover::usable_credentials(const Job& job, int64_t now) const {
  if (!credentials_) return false;
  return now + kCredentialMarginS < credentials_->expires_at ||
         (job.own_credentials && now < credentials_->expires_at);
}

AwsMover::Step AwsMover::next_step(const Job& job, int64_t now) const {
  const bool need_region = job.settings.region.empty() && region_.empty();
  if (need_region || instance_id_.empty() || !usable_credentials(job, now)) {
    if (job.token.empty()) return Step::token;
    if (need_region) return Step::region;
    if (instance_id_.empty()) return Step::instance_id;
    if (job.role.empty()) return Step::role;
    return Step::credentials;
  }
  return job.next_call < job.calls.size() ? Step::ec2 : Step::finished;
}

AwsRequest AwsMover::request(const Job& job, int64_t now) const {
  const ServiceUrl& metadata = job.settings.metadata;
  switch (job.step) {
    case Step::token: return imds_token_request(metadata);
    case Step::region: return imds_get(metadata, job.token, kRegionPath);
    case Step::instance_id: return imds_get(metadata, job.token, kInstanceIdPath);
    case Step::role: return imds_get(metadata, job.token, kRolesPath);
    case Step::credentials: return imds_get(metadata, job.token, credentials_path(job.role));
    case Step::ec2:
    case Step::finished: break;
  }
  const std::string& region = job.settings.region.empty() ? region_ : job.settings.region;
  return ec2_request(job.calls[job.next_call], ec2_endpoint(job.settings.endpoint, region), region,
                     credentials_->credentials, amz_date(now));
}

void AwsMover::send(Job& job) {
  const int64_t now = wall_clock_s();
  job.step = next_step(job, now);
  if (job.step == Step::finished) return finish(job, {});
  AwsCounters& counters = counters_[job.instance];
  ++counters.calls;
  if (++job.attempt() > 1) ++counters.retries;
  job.exchange = std::make_unique<AwsExchange>(
      loop_, http_, request(job, now), timing_.timeouts,
      [this, &job](Result<AwsReply> reply) { on_reply(job, std::move(reply)); });
}

Judgement AwsMover::take(Job& job, const AwsReply& reply, int64_t now) {
  // A refused token is fetched again before the request is tried again.
  if (reply.status == 401 && job.step != Step::ec2) job.token.clear();
  switch (job.step) {
    case Step::token: return keep(judge_token(reply), job.token);
    case Step::region: return keep(judge_region(reply), region_);
    case Step::instance_id: return keep(judge_instance_id(reply), instance_id_);
    case Step::role: return keep(judge_role(reply), job.role);
    case Step::credentials: {
      const Judgement judged = keep(judge_credentials(reply, now), credentials_);
      job.own_credentials = judged.verdict == Verdict::done;
      return judged;
    }
    case Step::ec2:
    case Step::finished: break;
  }
  return judge_ec2(reply);
}

// Every path ends by reporting: a report may cancel this take-over or start another.
void AwsMover::on_reply(Job& job, Result<AwsReply> reply) {
  job.exchange.reset();
  const Judgement judged =
      reply ? take(job, reply.value(), wall_clock_s()) : Judgement{Verdict::retry, reply.error()};
  AwsReport report = report_of(job);
  uint32_t& attempt = job.attempt();
  if (judged.verdict == Verdict::done) {
    report.result = "ok";
    attempt = 0;
    if (job.step == Step::ec2) ++job.next_call;
    job.wake.start(0, 0);
    return report_(report);
  }
  if (judged.verdict == Verdict::retry && attempt < job.settings.max_attempts) {
    const uint32_t delay = backoff_ms(attempt);
    report.outcome = AwsOutcome::retrying;
    report.result = judged.why + " (again in " + std::to_string(delay) + " ms)";
    job.wake.start(delay, 0);
    return report_(report);
  }
  report.outcome = AwsOutcome::failed;
  report.result = judged.verdict == Verdict::retry
                      ? "given up after " + std::to_string(attempt) + " attempts: " + judged.why
                      : judged.why;
  ++counters_[job.instance].failures;
  if (job.step != Step::ec2) return finish(job, {std::move(report)});
  attempt = 0;
  ++job.next_call;
  ++job.failed_calls;
  job.wake.start(0, 0);
  report_(report);
}

// The job goes first, then `reports` and the take-over's summary are reported.
void AwsMover::finish(Job& job, std::vector<AwsReport> reports) {
  AwsReport summary{job.instance, "take-over", "", 0, AwsOutcome::ok, ""};
  const std::string& region = job.settings.region.empty() ? region_ : job.settings.region;
  if (!instance_id_.empty()) summary.what = instance_id_ + " in " + region;
  const size_t total = job.calls.size();
  if (job.step != Step::finished) {
    summary.outcome = AwsOutcome::failed;
    summary.result = "no credentials (" + reports.back().call +
                     " failed): " + std::to_string(total - job.next_call) + " of " +
                     calls_text(total) + " not made";
  } else if (job.failed_calls > 0) {
    summary.outcome = AwsOutcome::failed;
    summary.result = std::to_string(job.failed_calls) + " of " + calls_text(total) + " failed";
  } else {
    summary.result = calls_text(total) + " done";
  }
  reports.push_back(std::move(summary));
  cancel(std::string(job.instance));  // `job` is gone
  for (const AwsReport& r : reports) report_(r);
}

AwsReport AwsMover::report_of(const Job& job) const {
  AwsReport r{job.instance,   "", "", job.attempts[static_cast<size_t>(job.step)],
              AwsOutcome::ok, ""};
  const auto named = [&r](std::string_view call, std::string_view what) {
    r.call = call;
    r.what = what;
    return r;
  };
  switch (job.step) {
    case Step::token: return named("metadata token", kTokenPath);
    case Step::region: return named("metadata region", kRegionPath);
    case Step::instance_id: return named("metadata instance-id", kInstanceIdPath);
    case Step::role: return named("metadata role", kRolesPath);
    case Step::credentials: return named("metadata credentials", credentials_path(job.role));
    case Step::ec2: return named(job.calls[job.next_call].action, job.calls[job.next_call].what);
    case Step::finished: break;
  }
  return r;
}

uint32_t AwsMover::backoff_ms(uint32_t attempt) const {
  const uint64_t doubled = uint64_t{timing_.first_backoff_ms}
                           << std::min<uint32_t>(attempt - 1, 31);
  return static_cast<uint32_t>(std::min<uint64_t>(doubled, timing_.max_backoff_ms));
}

}  // namespace sluice::control::ha
