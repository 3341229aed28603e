#include "control/health/http_probe.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/ip_text.h"

namespace sluice::control::health {
namespace {

// Once per process, before any other libcurl call; a static's initialisation is thread-safe.
CURLcode init_curl() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

// libcurl's own socket() does not ask for close-on-exec: a check script started meanwhile
// would inherit the connection and hold it open after curl has closed it.
curl_socket_t open_socket(void*, curlsocktype, curl_sockaddr* address) {
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

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

// What the loop saw, as curl_multi_socket_action wants it. libuv reports a socket error with
// no events (and stops the watch): curl is then told nothing (0), looks at the socket itself
// and fails with the error's cause ("Connection reset by peer"); told CURL_CSELECT_ERR it
// would say only "select/poll returned error".
int curl_events(int status, int events) {
  if (status < 0) return 0;
  return ((events & UV_READABLE) != 0 ? CURL_CSELECT_IN : 0) |
         ((events & UV_WRITABLE) != 0 ? CURL_CSELECT_OUT : 0);
}

}  // namespace

class HttpProbe final : public Probe {
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
    if (const CURLMcode rc = client_.add(easy_); rc != CURLM_OK) {
      release();
      settle_soon(failed(std::string("HTTP: ") + curl_multi_strerror(rc)));
    }
  }

  // curl is through with the transfer: judged now, reported on the next loop turn (one read
  // of curl's messages may finish several transfers).
  void finished(CURLcode code) {
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
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_PROXY, "");  // never a proxy from the environment
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
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
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &HttpProbe::keep_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
  }

  // Keeps the first kMaxHttpBody bytes; past them the transfer is stopped (curl then reports
  // CURLE_WRITE_ERROR), and the answer is judged on what was kept.
  static size_t keep_body(char* data, size_t size, size_t count, void* self) {
    auto* probe = static_cast<HttpProbe*>(self);
    const size_t bytes = size * count;
    const size_t room = kMaxHttpBody - probe->body_.size();
    probe->body_.append(data, std::min(bytes, room));
    if (bytes <= room) return bytes;
    probe->cut_ = true;
    return 0;
  }

  ProbeResult judge(CURLcode code) const {
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && cut_)) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      ProbeResult r = succeeded("HTTP " + std::to_string(status));
      r.status = static_cast<int>(status);
      r.body = body_;
      r.cut = cut_;
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
    if (easy_ != nullptr) {
      client_.remove(easy_);
      curl_easy_cleanup(easy_);
      easy_ = nullptr;
    }
    curl_slist_free_all(resolve_);
    resolve_ = nullptr;
  }

  HttpClient& client_;
  HttpRequest request_;
  CURL* easy_ = nullptr;
  curl_slist* resolve_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  std::string body_;
  bool cut_ = false;
};

HttpClient::HttpClient(EventLoop& loop)
    : loop_(loop), timer_(loop.timer([this] { act(CURL_SOCKET_TIMEOUT, 0); })) {
  if (init_curl() != CURLE_OK) {
    failure_ = "libcurl did not initialise";
    return;
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) {
    failure_ = "no libcurl multi handle";
    return;
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

// curl may still call on_socket and on_timer from here: sockets_ and timer_ are alive.
HttpClient::~HttpClient() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

// curl says which events it wants on a socket, or that it is done with it.
int HttpClient::on_socket(CURL*, curl_socket_t socket, int what, void* self, void*) {
  auto* client = static_cast<HttpClient*>(self);
  if (what == CURL_POLL_REMOVE) {
    client->sockets_.erase(socket);
    return 0;
  }
  Poll& poll = client->sockets_[socket];
  if (!poll.is_open() &&
      poll.open(client->loop_.uv(), socket, [client, socket](int status, int events) {
        client->act(socket, curl_events(status, events));
      }) != 0) {
    client->sockets_.erase(socket);
    return -1;
  }
  const int events = ((what & CURL_POLL_IN) != 0 ? UV_READABLE : 0) |
                     ((what & CURL_POLL_OUT) != 0 ? UV_WRITABLE : 0);
  return poll.start(events) == 0 ? 0 : -1;
}

// curl wants to be woken after `timeout_ms` (0: on the next turn; never from inside this
// callback), or not at all (-1).
int HttpClient::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* client = static_cast<HttpClient*>(self);
  if (timeout_ms < 0) {
    client->timer_.stop();
  } else {
    client->timer_.start(static_cast<uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void HttpClient::act(curl_socket_t socket, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, socket, events, &running);
  read_finished();
}

void HttpClient::read_finished() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    char* probe = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &probe);
    reinterpret_cast<HttpProbe*>(probe)->finished(message->data.result);
  }
}

std::unique_ptr<Probe> make_http_probe(const ProbeContext& context, HttpClient& client,
                                       const HttpRequest& request) {
  return std::make_unique<HttpProbe>(context, client, request);
}

}  // namespace sluice::control::health
