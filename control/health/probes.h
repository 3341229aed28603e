// One attempt at each kind of check, run on the event loop through the kernel's sockets (they
// reach the real servers through the TAP twins): nothing here blocks. Each call ends in exactly
// one call of its `done`, on the loop (never inside the call that started it), after at most
// its timeout, unless the Probes object is destroyed first (then pending `done`s are never
// called; sockets are closed and running scripts killed). A `done` may start probes, or
// destroy the Probes object.
//   connect  TCP connect (non-blocking socket, uv_poll)
//   http     one request through libcurl's multi interface driven by the loop's sockets and a
//            timer; https through OpenSSL, with SNI when `host` is a name
//   ping     ICMP / ICMPv6 echo on one raw socket per family, matched by source, identifier
//            and sequence (raw sockets need root or CAP_NET_RAW)
//   dns      one UDP query built and parsed with libresolv (res_mkquery, ns_initparse)
//   udp      send a payload on a connected UDP socket, wait for a reply (an ICMP port
//            unreachable shows as ECONNREFUSED: "port unreachable")
//   line     TCP connect, optionally send a string, read until a newline, the peer's close or
//            more than kMaxLineReply bytes (the feedback agent)
//   script   uv_spawn of a program in its own process group; killed (SIGKILL to the group) at
//            its timeout; at most `max_scripts` run at once, the rest wait in order
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/ip_text.h"
#include "common/names.h"
#include "control/event_loop.h"

namespace sluice::control::health {

inline constexpr size_t kMaxHttpBody = 64 * 1024;  // bytes of a body kept for matching
inline constexpr size_t kMaxLineReply = 512;       // bytes of an agent's reply kept

using Endpoint = sluice::Endpoint;  // an address and a port

struct ProbeResult {
  // connect: connected. http: an HTTP answer arrived (its status is in `status`; a body
  // longer than kMaxHttpBody is judged on its start). ping: an echo reply. dns: an answer
  // with RCODE NOERROR. udp: a reply (containing `expect`, if given). line: the connection
  // opened and the reply ended (newline, close, or the bound) before any failure or the
  // timeout. script: exit status 0.
  bool ok = false;
  // What was seen, in the words shown to operators: "connected", "HTTP 200", "echo reply",
  // "NOERROR", "reply" (line: also "closed without a reply"), "exit 0"; or why not:
  // "connect refused", "timeout after 2 s", "no route to host" (no route in our table),
  // "host unreachable" (no neighbour answer, or ICMP), "reset by peer", "TLS: <curl's
  // message>", "HTTP: <curl's message>", "port unreachable", "DNS NXDOMAIN", "DNS: malformed
  // reply", "reply does not contain \"x\"", "script exit 2", "script killed by signal 9",
  // "script killed at its timeout (2 s)", "script: <libuv's message>"; other socket errors in
  // strerror's words.
  std::string reason;
  int status = 0;  // http: the status code
  // http: the body, at most kMaxHttpBody; udp: the datagram, at most kMaxLineReply; line: the
  // reply up to its first newline (not included), at most kMaxLineReply.
  std::string body;
  bool cut = false;  // body was longer than kept
};
using ProbeDone = std::function<void(ProbeResult)>;

struct HttpRequest {
  bool https = false;
  HttpMethod method = HttpMethod::GET;
  Endpoint to;
  std::string path = "/";
  std::string host;  // Host header and TLS server name; empty: the address
  bool verify_certificate = false;
  std::string ca_file;  // with verify: the CAs to trust; empty: the system's
  uint32_t timeout_ms = 2000;
};

class Probes {
 public:
  // max_scripts: scripts run at once (0 is taken as 1).
  Probes(EventLoop& loop, uint32_t max_scripts);
  ~Probes();
  Probes(const Probes&) = delete;
  Probes& operator=(const Probes&) = delete;

  void connect(const Endpoint& to, uint32_t timeout_ms, ProbeDone done);
  void http(const HttpRequest& request, ProbeDone done);
  void ping(const IpAddress& to, uint32_t timeout_ms, ProbeDone done);
  void dns(const Endpoint& to, const std::string& name, DnsType type, uint32_t timeout_ms,
           ProbeDone done);
  void udp(const Endpoint& to, const std::string& payload, const std::string& expect,
           uint32_t timeout_ms, ProbeDone done);
  void line(const Endpoint& to, const std::string& send, uint32_t timeout_ms, ProbeDone done);
  // argv[0] is the program (a path; not looked up in PATH); env entries are "NAME=value",
  // all the script gets; stdin, stdout and stderr are /dev/null. The timeout runs from the
  // script's start, not from the call (it may wait for a slot).
  void script(std::vector<std::string> argv, std::vector<std::string> env, uint32_t timeout_ms,
              ProbeDone done);

  size_t in_flight() const;        // probes asked for and not yet done (waiting scripts too)
  size_t scripts_waiting() const;  // scripts queued behind max_scripts

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::control::health
