#include "control/ha/aws_http.h"

#include <string>
#include <utility>

namespace sluice::control::ha {

AwsExchange::AwsExchange(EventLoop& loop, HttpClient& client, const AwsRequest& request,
                         const AwsTimeouts& timeouts, Done done)
    : client_(client), done_(std::move(done)), ending_(loop.timer([this] {
        // Moved out first: `done` may destroy this exchange.
        Done done = std::move(done_);
        Result<AwsReply> result = std::move(*result_);
        done(std::move(result));
      })) {
  start(request, timeouts);
}

AwsExchange::~AwsExchange() { release(); }

void AwsExchange::start(const AwsRequest& request, const AwsTimeouts& timeouts) {
  if (const char* why = client_.failure()) return end_soon(Error{why});
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return end_soon(Error{"no libcurl handle"});
  for (const auto& [name, value] : request.headers) {
    headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
  }
  curl_easy_setopt(easy_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  if (request.method != "GET") {
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(easy_, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
    if (request.method != "POST")
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect_ms));
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total_ms));
  curl_easy_setopt(easy_, CURLOPT_USERAGENT, "sluice-ha");
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &BoundedBody::write);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body_);
  if (const CURLMcode rc = client_.add(easy_, *this); rc != CURLM_OK) {
    release();
    end_soon(Error{curl_multi_strerror(rc)});
  }
}

// Judged on the next loop turn (one read of curl's messages may finish several transfers).
void AwsExchange::finished(CURLcode code) {
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && body_.cut)) {
    AwsReply reply{0, std::move(body_.text), body_.cut};
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &reply.status);
    release();
    return end_soon(std::move(reply));
  }
  std::string why = error_[0] != '\0' ? error_ : curl_easy_strerror(code);
  release();
  end_soon(Error{std::move(why)});
}

void AwsExchange::end_soon(Result<AwsReply> result) {
  result_ = std::move(result);
  ending_.start(0, 0);
}

// Takes the transfer out of the client (a no-op once curl is through with it) and frees it.
void AwsExchange::release() {
  client_.discard(easy_);
  curl_slist_free_all(headers_);
  headers_ = nullptr;
}

}  // namespace sluice::control::ha
