#include "control/health/script_probe.h"

#include <signal.h>

#include <string>
#include <utility>

namespace sluice::control::health {
namespace {

class ScriptProbe;

// The process handle, apart from the probe: when the probe ends first (at its timeout, or
// with its Probes) the killed process must still be reaped, and libuv does that through this
// handle, which then frees itself.
struct Child {
  uv_process_t process{};
  ScriptProbe* owner = nullptr;  // none once abandoned
};

void free_child(uv_handle_t* handle) { delete static_cast<Child*>(handle->data); }

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class ScriptProbe final : public Probe {
 public:
  ScriptProbe(const ProbeContext& context, std::vector<std::string> argv,
              std::vector<std::string> env)
      : Probe(context), argv_(std::move(argv)), env_(std::move(env)) {}
  ~ScriptProbe() override { abandon(); }

  void start() override {
    if (argv_.empty() || argv_[0].find('/') == std::string::npos) {
      return settle_soon(failed("script: not a path: " + (argv_.empty() ? "" : argv_[0])));
    }
    std::vector<char*> args = c_strings(argv_);
    std::vector<char*> env = c_strings(env_);  // empty: an empty environment, not ours
    uv_stdio_container_t stdio[3];
    for (uv_stdio_container_t& s : stdio) s.flags = UV_IGNORE;  // /dev/null
    uv_process_options_t options{};
    options.exit_cb = &ScriptProbe::exited;
    options.file = args[0];
    options.args = args.data();
    options.env = env.data();
    options.flags = UV_PROCESS_DETACHED;  // setsid(): its own process group, to kill whole
    options.stdio_count = 3;
    options.stdio = stdio;
    auto* child = new Child;
    const int rc = uv_spawn(loop().uv(), &child->process, &options);
    child->process.data = child;
    if (rc != 0) {
      // A failed uv_spawn has registered the handle all the same: it is closed as any other.
      uv_close(reinterpret_cast<uv_handle_t*>(&child->process), free_child);
      return settle_soon(failed(std::string("script: ") + uv_strerror(rc)));
    }
    child->owner = this;
    child_ = child;
    arm();
  }

 private:
  static void exited(uv_process_t* process, int64_t status, int signal) {
    auto* child = static_cast<Child*>(process->data);
    ScriptProbe* owner = std::exchange(child->owner, nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(process), free_child);
    if (owner == nullptr) return;  // abandoned, and now reaped
    owner->child_ = nullptr;
    if (signal != 0) {
      return owner->settle(failed("script killed by signal " + std::to_string(signal)));
    }
    owner->settle(status == 0 ? succeeded("exit 0")
                              : failed("script exit " + std::to_string(status)));
  }

  void timed_out() override {
    abandon();
    settle(failed("script killed at its timeout (" + seconds_text(timeout_ms()) + ")"));
  }

  // Kills the script with everything it started (its process group: SIGKILL, which nothing
  // ignores) and leaves the handle to reap it.
  void abandon() {
    if (child_ == nullptr) return;
    kill(-child_->process.pid, SIGKILL);
    child_->owner = nullptr;
    child_ = nullptr;
  }

  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  Child* child_ = nullptr;  // while the script runs
};

}  // namespace

std::unique_ptr<Probe> make_script_probe(const ProbeContext& context, std::vector<std::string> argv,
                                         std::vector<std::string> env) {
  return std::make_unique<ScriptProbe>(context, std::move(argv), std::move(env));
}

}  // namespace sluice::control::health
