#include "control/ports.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "config/load.h"

namespace sluice::control {
namespace {

TEST(Ports, EalArgumentsComeFromTheConfig) {
  config::LoadResult r = config::load_string(R"(
eal: { lcores: "0-2", memory_mb: 1024, no_huge: true, file_prefix: lb1, extra_args: ["--no-pci"] }
workers: { count: 2 }
interfaces:
  - { name: a, device: "net_af_packet0,iface=veth0,qpairs=2", addresses: [198.18.0.1/24] }
  - { name: b, device: "0000:03:00.0", addresses: [198.18.1.1/24] }
)",
                                             "t.yaml");
  ASSERT_TRUE(r.config) << r.errors.front().format();
  EXPECT_EQ(
      eal_arguments(*r.config),
      (std::vector<std::string>{"sluiced", "--lcores", "0-2", "-m", "1024", "--file-prefix", "lb1",
                                "--no-huge", "--vdev", "net_af_packet0,iface=veth0,qpairs=2", "-a",
                                "0000:03:00.0", "--no-pci"}));
}

// Every place an mbuf can wait, summed (control/ports.cc): 8 workers, 2 interfaces.
TEST(Ports, ThePacketPoolHoldsEveryRingFullAtOnce) {
  const uint32_t descriptors = 2 * 8 * (1024 + 1024);
  const uint32_t taps = 2 * (512 + 512);
  const uint32_t handoff = 8 * 7 * 1023;
  const uint32_t kernel = 9 * 1023;
  const uint32_t neighbours = 8 * 255;
  const uint32_t in_hand = 9 * 512;
  const uint32_t caches = 9 * 384;
  EXPECT_EQ(packet_pool_size(8, 2),
            descriptors + taps + handoff + kernel + neighbours + in_hand + caches);
  EXPECT_EQ(packet_pool_size(8, 2), 111415u);
  // One worker: no hand-off rings.
  EXPECT_EQ(packet_pool_size(1, 2), 2 * 2048u + 2048 + 2 * 1023 + 255 + 2 * 512 + 2 * 384);
}

TEST(Ports, TheRuntimeDirectoryIsEalsForRoot) {
  if (getuid() != 0) GTEST_SKIP() << "EAL puts it under XDG_RUNTIME_DIR for other users";
  EXPECT_EQ(eal_runtime_dir("lb1"), "/var/run/dpdk/lb1");
}

// A primary DPDK process write-locks part of RUNTIME_DIR/config for as long as it runs
// (rte_eal_config_create); POSIX locks are per process, so a child holds it here.
TEST(Ports, AConfigFileLockedByAnotherProcessIsSeen) {
  char pattern[] = "/tmp/sluice-eal-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  EXPECT_FALSE(eal_config_locked(dir));  // no config file: nobody ran with this prefix
  const std::string file = dir + "/config";
  const int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  EXPECT_FALSE(eal_config_locked(dir));  // left behind by a primary that is gone

  int locked[2], release[2];
  ASSERT_EQ(pipe(locked), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 64;  // EAL locks its memsegs field, not the file's start
    lock.l_len = 1024;
    char byte = fcntl(fd, F_SETLK, &lock) == 0 ? 'y' : 'n';
    (void)!write(locked[1], &byte, 1);
    (void)!read(release[0], &byte, 1);
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(locked[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  EXPECT_TRUE(eal_config_locked(dir));
  ASSERT_EQ(write(release[1], &byte, 1), 1);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(eal_config_locked(dir));  // the lock went with its process
  for (int p : {locked[0], locked[1], release[0], release[1], fd}) close(p);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::control
