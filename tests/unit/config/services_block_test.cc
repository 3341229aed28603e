#include "config/services_block.h"

#include <gtest/gtest.h>

namespace sluice::config {
namespace {

const std::string kFile = R"(# the appliance
interfaces:
  - { name: front, device: d0, addresses: [198.18.0.1/24] }
virtual_services:
  # web first
  - name: web

    address: 198.18.0.10
- name: dns
  address: 198.18.0.11

# node-local: this appliance's VRRP
ha:
  instances: []
)";

TEST(ServicesBlock, IsTheTopLevelKeyWithEverythingIndentedOrListedBelowIt) {
  EXPECT_EQ(services_block(kFile).value(),
            "virtual_services:\n  # web first\n  - name: web\n\n    address: 198.18.0.10\n"
            "- name: dns\n  address: 198.18.0.11\n");
  EXPECT_EQ(services_block("virtual_services: []").value(), "virtual_services: []");
  EXPECT_EQ(services_block("virtual_services: [\n{ name: a },\n{ name: b }\n]\nha: {}\n").value(),
            "virtual_services: [\n{ name: a },\n{ name: b }\n]\n");  // flow style
  EXPECT_FALSE(services_block("interfaces: []\n  virtual_services: []\n"));  // not top level
  EXPECT_FALSE(services_block("virtual_services_old: []\n"));
}

TEST(ServicesBlock, ReplacingItKeepsEverythingElseByteForByte) {
  const Result<std::string> r = with_services_block(kFile, "virtual_services:\n  - name: mail\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), R"(# the appliance
interfaces:
  - { name: front, device: d0, addresses: [198.18.0.1/24] }
virtual_services:
  - name: mail

# node-local: this appliance's VRRP
ha:
  instances: []
)");
  const Result<std::string> added = with_services_block("interfaces: []", "virtual_services: []\n");
  ASSERT_TRUE(added);
  EXPECT_EQ(added.value(), "interfaces: []\nvirtual_services: []\n");
}

TEST(ServicesBlock, APushedTextWithAnythingElseIsRefused) {
  for (const char* hostile : {"interfaces: []\n",
                              "virtual_services: []\ninterfaces: []\n",
                              "virtual_services: []\nha: { instances: [] }\n",
                              "# only a comment\n",
                              "",
                              "  virtual_services: []\n"}) {
    EXPECT_FALSE(with_services_block(kFile, hostile)) << hostile;
  }
}

}  // namespace
}  // namespace sluice::config
