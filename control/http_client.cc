#include "control/http_client.h"

#include <sys/socket.h>

#include <algorithm>

namespace sluice::control {
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

size_t BoundedBody::write(char* data, size_t size, size_t count, void* self) {
  auto* body = static_cast<BoundedBody*>(self);
  const size_t bytes = size * count;
  const size_t room = body->max - body->text.size();
  body->text.append(data, std::min(bytes, room));
  if (bytes <= room) return bytes;
  body->cut = true;
  return 0;
}

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

CURLMcode HttpClient::add(CURL* easy, HttpTransfer& owner) {
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &owner);
  return curl_multi_add_handle(multi_, easy);
}

void HttpClient::discard(CURL*& easy) {
  if (easy == nullptr) return;
  curl_multi_remove_handle(multi_, easy);
  curl_easy_cleanup(easy);
  easy = nullptr;
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
    char* owner = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &owner);
    reinterpret_cast<HttpTransfer*>(owner)->finished(message->data.result);
  }
}

}  // namespace sluice::control
