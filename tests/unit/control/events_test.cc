// One event, one line: stable keys, values quoted when they must be, control bytes escaped.
#include "control/events.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

TEST(Events, OneLineWithStableKeys) {
  EXPECT_EQ(format_event({"health", "web", "198.18.0.21:80", "up", "down", "connect refused"}),
            "event=health service=web server=198.18.0.21:80 from=up to=down "
            "reason=\"connect refused\"");
  EXPECT_EQ(format_event({"reload", "", "", "", "taken", "/etc/sluice/sluice.yaml"}),
            "event=reload to=taken reason=/etc/sluice/sluice.yaml");
}

TEST(Events, HostileTextStaysOnOneLine) {
  EXPECT_EQ(format_event({"agent", "web", "s", "", "x", "said \"a=b\"\nevent=fake\\"}),
            "event=agent service=web server=s to=x reason=\"said \\\"a=b\\\"\\x0aevent=fake\\\\\"");
}

}  // namespace
}  // namespace sluice::control
