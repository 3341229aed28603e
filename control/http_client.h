// HTTP and HTTPS through libcurl's multi interface, driven by the event loop: curl tells which
// sockets to watch (a Poll each) and when to wake it (one timer), the loop tells curl what
// happened (curl_multi_socket_action), and finished transfers are read with
// curl_multi_info_read. No thread, no blocking call. Shared by the health checks' http probes
// and the AWS HA mode's API calls: each transfer's owner makes its easy handle, sets what is
// its own (URL, headers, timeouts, TLS) and hears when curl is through with it.
// Thread safety: the event loop's thread only.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>
#include <unordered_map>

#include "control/event_loop.h"

namespace sluice::control {

// The owner of one transfer.
class HttpTransfer {
 public:
  // curl is through with the transfer: `code` is its result (CURLE_OK: an answer came; the
  // status and body are the owner's to read from its handle). Called from inside the client's
  // handling of a socket or its timer, so the owner may remove and free its handle here, but
  // must not destroy the client nor call back into its own user: it reports on a later turn.
  virtual void finished(CURLcode code) = 0;

 protected:
  ~HttpTransfer() = default;
};

// What a transfer keeps of an answer's body: its first `max` bytes. For CURLOPT_WRITEFUNCTION
// (write) with CURLOPT_WRITEDATA (the BoundedBody): past `max` the transfer is stopped, and
// curl ends it with CURLE_WRITE_ERROR and `cut` set; the start is judged all the same.
struct BoundedBody {
  explicit BoundedBody(size_t bound) : max(bound) {}
  static size_t write(char* data, size_t size, size_t count, void* self);

  size_t max;
  std::string text;
  bool cut = false;
};

class HttpClient {
 public:
  explicit HttpClient(EventLoop& loop);
  ~HttpClient();  // every transfer removed first (their owners hold them)
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Why libcurl cannot be used, or nullptr.
  const char* failure() const { return failure_; }
  // Starts `easy` for `owner`, after setting what every transfer on the loop needs: http and
  // https only, never a proxy from the environment, no signals, close-on-exec sockets.
  CURLMcode add(CURL* easy, HttpTransfer& owner);
  // Takes `easy` out (a no-op once curl is through with it), frees it and forgets it.
  void discard(CURL*& easy);

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

}  // namespace sluice::control
