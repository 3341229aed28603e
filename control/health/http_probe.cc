#include "control/health/http_probe.h"

#include <cerrno>
#include <string>

#include "common/ip_text.h"

namespace sluice::control::health {
namespace {

bool is_tls_failure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return true;
    default: return false;
  }
}

}  // namespace

class HttpProbe final : public Probe, public HttpTransfer {
 public:
  HttpProbe(const ProbeContext& context, HttpClient& client, const HttpRequest& request)
      : Probe(context), client_(client), request_(request) {}
  ~HttpProbe() override { release(); }

  void start() override {
    arm();
    if (const char* why = client_.failure())
      return settle_soon(failed(std::string("HTTP: ") + why));
    easy_ = curl_easy_init();
    if (easy_ == nullptr) return settle_soon(failed("HTTP: no libcurl handle"));
    configure();
    if (const CURLMcode rc = client_.add(easy_, *this); rc != CURLM_OK) {
      release();
      settle_soon(failed(std::string("HTTP: ") + curl_multi_strerror(rc)));
    }
  }

  // curl is through with the transfer: judged now, reported on the next loop turn (one read
  // of curl's messages may finish several transfers).
  void finished(CURLcode code) override {
    ProbeResult result = judge(code);
    release();
    settle_soon(std::move(result));
  }

 private:
  void configure() {
    const HttpRequest& r = request_;
    const std::string port = std::to_string(r.to.port);
    // With a name, the URL carries it (Host header, TLS server name, the name the
    // certificate must show) and CURLOPT_RESOLVE pins it to the server's address.
    const std::string host = r.host.empty() ? format_host(r.to.address) : r.host;
    const std::string path = r.path.starts_with('/') ? r.path : "/" + r.path;
    const std::string url = (r.https ? "https://" : "http://") + host + ":" + port + path;
    if (!r.host.empty()) {
      resolve_ = curl_slist_append(nullptr,
                                   (r.host + ":" + port + ":" + format_host(r.to.address)).c_str());
    }
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_RESOLVE, resolve_);
    // Each check is a connection of its own, as a client's would be.
    curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms()));
    curl_easy_setopt(easy_, CURLOPT_NOBODY, r.method == HttpMethod::HEAD ? 1L : 0L);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "sluice-health-check");
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, r.verify_certificate ? 1L : 0L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, r.verify_certificate ? 2L : 0L);
    if (r.verify_certificate && !r.ca_file.empty()) {
      curl_easy_setopt(easy_, CURLOPT_CAINFO, r.ca_file.c_str());
    }
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &BoundedBody::write);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body_);
  }

  ProbeResult judge(CURLcode code) const {
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && body_.cut)) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      ProbeResult r = succeeded("HTTP " + std::to_string(status));
      r.status = static_cast<int>(status);
      r.body = body_.text;
      r.cut = body_.cut;
      return r;
    }
    long os_error = 0;
    curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_error);
    if (code == CURLE_OPERATION_TIMEDOUT) return failed(timeout_text(timeout_ms()));
    if (is_tls_failure(code)) return failed("TLS: " + message(code));
    if (os_error == ECONNRESET || (code == CURLE_COULDNT_CONNECT && os_error != 0)) {
      return failed(socket_failure(static_cast<int>(os_error)));
    }
    return failed("HTTP: " + message(code));
  }

  std::string message(CURLcode code) const {
    return error_[0] != '\0' ? error_ : curl_easy_strerror(code);
  }

  // Takes the transfer out of the client (a no-op once curl is through with it) and frees it.
  void release() {
    client_.discard(easy_);
    curl_slist_free_all(resolve_);
    resolve_ = nullptr;
  }

  HttpClient& client_;
  HttpRequest request_;
  CURL* easy_ = nullptr;
  curl_slist* resolve_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  BoundedBody body_{kMaxHttpBody};
};

std::unique_ptr<Probe> make_http_probe(const ProbeContext& context, HttpClient& client,
                                       const HttpRequest& request) {
  return std::make_unique<HttpProbe>(context, client, request);
}

}  // namespace sluice::control::health
