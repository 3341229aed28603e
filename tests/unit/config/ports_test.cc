// The forms of `ports` and `except_ports` (config/ports.cc).
#include "config/ports.h"

#include <gtest/gtest.h>

#include <string>

#include "common/ip_text.h"
#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

TEST(Ports, PortListedTwiceInOneServiceIsReported) {
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n  - { name: v, address: 198.19.0.10, "
                                  "ports: [80, 443, 80], protocol: tcp, mode: nat, "
                                  "real_servers: [] }\n"),
            (Lines{"test.yaml:11:55: virtual_services[0].ports[2]: duplicate port 80"}));
}

// The service's ports as show vips prints them.
std::string ports_of(const std::string& ports, const std::string& extra = "") {
  const Config c = load_valid(with_ports(ports, extra));
  return c.virtual_services.empty() ? "" : format_ports(only_listener(c.virtual_services[0]).ports);
}

TEST(Ports, AcceptsPortsRangesListsCommaListsAndAll) {
  EXPECT_EQ(ports_of("80"), "80");
  EXPECT_EQ(ports_of("5070-5073"), "5070-5073");
  EXPECT_EQ(ports_of("\"5070-5073\""), "5070-5073");
  EXPECT_EQ(ports_of("[443, \"5070-5073\", 80]"), "80,443,5070-5073");
  EXPECT_EQ(ports_of("[443, 5070-5073, 80]"), "80,443,5070-5073");
  EXPECT_EQ(ports_of("\"80,443,5070-5073\""), "80,443,5070-5073");
  EXPECT_EQ(ports_of("80, 443"), "80,443");
  EXPECT_EQ(ports_of("[80, 81, 82, 84, 1-1]"), "1,80-82,84");  // neighbours join
  EXPECT_EQ(ports_of("all"), "all");
  EXPECT_EQ(ports_of("all", "    except_ports: 20000\n"), "all except 20000");
  EXPECT_EQ(ports_of("all", "    except_ports: [20000, \"30000-30010\", 1]\n"),
            "all except 1,20000,30000-30010");
  EXPECT_EQ(ports_of("all", "    except_ports: \"20000,20001\"\n"), "all except 20000-20001");
}

TEST(Ports, PortSetAnswersMembershipWithoutListingEveryPort) {
  const Config c = load_valid(with_ports("all", "    except_ports: [1, 20000-20010]\n"));
  const PortSet& all = only_listener(c.virtual_services.at(0)).ports;
  EXPECT_TRUE(all.all);
  EXPECT_TRUE(all.ranges.empty());
  EXPECT_EQ(all.except, (std::vector<PortRange>{{1, 1}, {20000, 20010}}));
  EXPECT_FALSE(all.contains(0));
  EXPECT_FALSE(all.contains(1));
  EXPECT_TRUE(all.contains(2));
  EXPECT_FALSE(all.contains(20005));
  EXPECT_TRUE(all.contains(20011));
  EXPECT_TRUE(all.contains(65535));
  EXPECT_EQ(all.lowest(), 2);

  const Config l = load_valid(with_ports("[5070-5073, 443]"));
  const PortSet& listed = only_listener(l.virtual_services.at(0)).ports;
  EXPECT_FALSE(listed.all);
  EXPECT_EQ(listed.ranges, (std::vector<PortRange>{{443, 443}, {5070, 5073}}));
  EXPECT_TRUE(listed.contains(5072));
  EXPECT_FALSE(listed.contains(5074));
  EXPECT_FALSE(listed.contains(80));
  EXPECT_EQ(listed.lowest(), 443);
}

TEST(Ports, BadFormsAreReportedAtTheirItem) {
  const std::string at = "test.yaml:13:12: virtual_services[0].ports: ";
  const std::string item = "test.yaml:13:17: virtual_services[0].ports[1]: ";
  const std::string expected = " (expected FIRST-LAST, such as 5070-5073)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"90-80", at + "reversed port range 90-80"},
      {"0", at + "out of range: 0 (expected 1..65535)"},
      {"65536", at + "out of range: 65536 (expected 1..65535)"},
      {"0-10", at + "out of range: 0 (expected 1..65535)"},
      {"80-65536", at + "out of range: 65536 (expected 1..65535)"},
      {"80-1234567", at + "out of range: '1234567' (expected 1..65535)"},
      {"80-", at + "invalid port range '80-'" + expected},
      {"a-b", at + "invalid port range 'a-b'" + expected},
      {"1-2-3", at + "invalid port range '1-2-3'" + expected},
      {"080-90", at + "leading zeros are not allowed: '080-90'"},
      {"\"80,,443\"", at + "empty item in port list '80,,443'"},
      {"\"80,x\"", at + "invalid port 'x' (expected 1..65535 or a range such as 5070-5073)"},
      {"\"80,all\"", at + "all must stand alone: ports: all"},
      {"\"80,90-80\"", at + "reversed port range 90-80"},
      {"{ from: 80 }", at + "expected a port, a range such as 5070-5073, a list of them or all"},
      {"[80, \"90-80\"]", item + "reversed port range 90-80"},
      {"[80, 0]", item + "out of range: 0 (expected 1..65535)"},
      {"[80, a-b]", item + "invalid port range 'a-b'" + expected},
      {"[80, \"443\"]", item + "expected a port number, not a quoted string"},
      {"[all]", "test.yaml:13:13: virtual_services[0].ports[0]: all must stand alone: ports: all"},
  };
  for (const auto& [ports, error] : cases) {
    SCOPED_TRACE(ports);
    EXPECT_EQ(errors_of(with_ports(ports)), Lines{error});
  }
  // Every bad item of a comma list is reported, at the position of the list.
  EXPECT_EQ(errors_of(with_ports("\"0,90-80,80,80\"")),
            (Lines{at + "out of range: 0 (expected 1..65535)", at + "reversed port range 90-80",
                   at + "duplicate port 80"}));
}

TEST(Ports, OverlappingItemsOfOneListAreReportedAtTheLaterItem) {
  EXPECT_EQ(errors_of(with_ports("[80, 79-81]")),
            (Lines{"test.yaml:13:17: virtual_services[0].ports[1]: duplicate port 80"}));
  EXPECT_EQ(errors_of(with_ports("[80-90, 85-95, 70-100]")),
            (Lines{"test.yaml:13:20: virtual_services[0].ports[1]: duplicate ports 85-90",
                   "test.yaml:13:27: virtual_services[0].ports[2]: duplicate ports 80-90"}));
  EXPECT_EQ(errors_of(with_ports("80-90,90")),
            (Lines{"test.yaml:13:12: virtual_services[0].ports: duplicate port 90"}));
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: [5, 1-10]\n")),
            (Lines{"test.yaml:14:23: virtual_services[0].except_ports[1]: duplicate port 5"}));
}

TEST(Ports, ExceptPortsGoOnlyWithAllAndMustLeaveAPort) {
  const std::string at = "test.yaml:14:19: virtual_services[0].except_ports: ";
  EXPECT_EQ(errors_of(with_ports("[80, 443]", "    except_ports: 443\n")),
            Lines{at + "except_ports needs ports: all"});
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: all\n")),
            Lines{at + "except_ports cannot be all"});
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: 1-65535\n")),
            Lines{at + "except_ports leaves no port"});
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: []\n")),
            Lines{at + "expected at least one port"});
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: [90-80]\n")),
            (Lines{"test.yaml:14:20: virtual_services[0].except_ports[0]: reversed port range "
                   "90-80"}));
}

}  // namespace
}  // namespace sluice::config
