#include "dataplane/pipeline.h"

#include "dataplane/packet_meta.h"
#include "dataplane/stages/parse.h"

namespace sluice::dp {
namespace {

using StageFn = void (*)(WorkerCtx&, const Snapshot&, const PacketList&, Arrival);

// The stage table (dataplane/stages/stages.h), indexed by Stage.
constexpr StageFn kStages[] = {
#define SLUICE_STAGE_FN(name) &stages::name,
    SLUICE_FOREACH_STAGE(SLUICE_STAGE_FN)
#undef SLUICE_STAGE_FN
};
static_assert(std::size(kStages) == kStageCount);

void run_stages(WorkerCtx& w, const Snapshot& snap, const Sorted& sorted, Arrival arrival) {
  for (size_t s = 0; s < kStageCount; ++s) {
    if (sorted[s].n != 0) kStages[s](w, snap, sorted[s], arrival);
  }
}

}  // namespace

void process_burst(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  Sorted sorted;
  stages::parse(w, snap, pkts, n, sorted);
  run_stages(w, snap, sorted, Arrival::from_wire);
}

void process_handed_off(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  Sorted sorted;
  for (uint16_t i = 0; i < n; ++i) {
    append(sorted[static_cast<size_t>(meta_of(pkts[i]).stage)], pkts[i]);
  }
  run_stages(w, snap, sorted, Arrival::handed_off);
}

}  // namespace sluice::dp
