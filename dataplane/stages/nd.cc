#include "dataplane/stages/stages.h"

#include "dataplane/nd.h"
#include "dataplane/packet_meta.h"

namespace sluice::dp::stages {

void nd(WorkerCtx& w, const Snapshot&, const PacketList& in, Arrival) {
  for (uint16_t i = 0; i < in.n; ++i) {
    rte_mbuf* m = in.pkts[i];
    const uint8_t interface = meta_of(m).interface;
    if (!answer_neighbour_solicitation(m, w.interfaces[interface].mac)) {
      w.send_to_kernel(m);  // not in one segment: the kernel may judge it
      continue;
    }
    w.transmit(m, interface);
  }
}

}  // namespace sluice::dp::stages
