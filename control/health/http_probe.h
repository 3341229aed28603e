// HTTP and HTTPS through libcurl's multi interface, driven by the event loop: curl tells which
// sockets to watch (a uv_poll each) and when to wake it (one timer), the loop tells curl what
// happened (curl_multi_socket_action), and finished transfers are read with
// curl_multi_info_read. No thread, no blocking call: addresses are given, never resolved.
// Thread safety: the event loop's thread only.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <unordered_map>

#include "control/health/probe.h"

namespace sluice::control::health {

class HttpClient {
 public:
  explicit HttpClient(EventLoop& loop);
  ~HttpClient();  // every transfer removed first (the probes own them)
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Why libcurl cannot be used, or nullptr.
  const char* failure() const { return failure_; }
  CURLMcode add(CURL* easy) { return curl_multi_add_handle(multi_, easy); }
  void remove(CURL* easy) { curl_multi_remove_handle(multi_, easy); }

 private:
  static int on_socket(CURL* easy, curl_socket_t socket, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void act(curl_socket_t socket, int events);
  void read_finished();

  EventLoop& loop_;
  const char* failure_ = nullptr;
  CURLM* multi_ = nullptr;
  Timer timer_;
  std::unordered_map<curl_socket_t, Poll> sockets_;
};

std::unique_ptr<Probe> make_http_probe(const ProbeContext& context, HttpClient& client,
                                       const HttpRequest& request);

}  // namespace sluice::control::health
