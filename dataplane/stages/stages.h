// The stages parse sorts packets into, in the order a burst runs them, in one table: an entry
// _(name) is the function stages::name in stages/name.cc, with the signature below; parse
// sends a packet to it as Stage::name. Adding a stage (layer 7 next) is one entry here, its
// file, and parse's rule for which packets go to it. dataplane/pipeline.cc runs the table.
//   arp  answers ARP requests for virtual service addresses in place; every other ARP packet
//        (requests for the appliance's own addresses, replies) goes to the kernel, where the
//        TAP twin answers for its addresses and the control plane learns next hops' MACs.
//   nd   answers IPv6 neighbour solicitations for virtual service and snat addresses in
//        place (parse sent only well-formed ones for those here), as arp does for IPv4.
//   echo answers ICMP and ICMPv6 echo requests to virtual service addresses in place (the
//        kernel does not own VIPs), at most 10000 a second per worker (echo_rate_limited).
//   lb   the load balancer, IPv4 (stages/lb.cc): finds each TCP/UDP packet's connection (both
//        directions are indexed), or for a packet opening one to a virtual service binds a
//        real server (dataplane/connect.h); then rewrites and transmits (dataplane/transmit.h).
//          hit, forward    -> dr: new MACs; nat: destination rewritten;
//                             snat: destination and source (a pool address) -> the server
//          hit, return     -> nat: source back to the virtual service;
//                             snat: and the destination back to the client -> the client
//          miss, to a VIP  -> new connection (TCP needs a SYN)             -> as a forward hit
//          miss, elsewhere -> the kernel (exception path)
//        With several workers a miss first asks whose connection it is (dataplane/steering.h):
//        a packet another worker owns is handed to it, and arrives there as handed_off (all
//        stages get that way the packets other workers parsed for them), never to be handed
//        on again.
//   lb6  the same for IPv6 (the family's own tables; dataplane/family.h).
#pragma once

#include <array>
#include <cstddef>

#include "dataplane/stages/packet_list.h"

#define SLUICE_FOREACH_STAGE(_) _(arp) _(nd) _(echo) _(lb) _(lb6)

namespace sluice::dp {

enum class Arrival : uint8_t { from_wire, handed_off };

// Where parse sends a packet: a stage, or straight to the kernel, or a drop.
enum class Stage : uint8_t {
#define SLUICE_STAGE_ENUM(name) name,
  SLUICE_FOREACH_STAGE(SLUICE_STAGE_ENUM)
#undef SLUICE_STAGE_ENUM
      kernel,  // not a stage: the exception path
  drop,        // not a stage: counted under its reason
};
inline constexpr size_t kStageCount = static_cast<size_t>(Stage::kernel);

// One list per stage, filled by parse (or by taking over handed-off packets).
using Sorted = std::array<PacketList, kStageCount>;

namespace stages {
#define SLUICE_STAGE_DECLARE(name) \
  void name(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival);
SLUICE_FOREACH_STAGE(SLUICE_STAGE_DECLARE)
#undef SLUICE_STAGE_DECLARE
}  // namespace stages

}  // namespace sluice::dp
