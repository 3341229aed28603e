#include "control/control_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "control/command_parse.h"
#include "tests/support/loop_pump.h"

namespace sluice::control {
namespace {

using Clock = std::chrono::steady_clock;

// A client as sluicectl is one: blocking connect, send, read to EOF.
int connect_to(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string read_to_eof(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-socket-test-" + std::to_string(getpid()));
    path_ = (dir_ / "ctl.sock").string();
  }
  void TearDown() override {
    socket_.reset();
    std::filesystem::remove_all(dir_);
  }

  void open(ControlSocketOptions options = {}) {
    options.path = path_;
    auto r = ControlSocket::open(loop_, options,
                                 [this](std::string_view line, ControlAccess access, Reply reply) {
                                   lines_.emplace_back(line);
                                   accesses_.push_back(access);
                                   if (hold_replies_) {
                                     held_.push_back(std::move(reply));
                                   } else {
                                     reply(reply_text_.empty() ? "echo " + std::string(line) + "\n"
                                                               : reply_text_);
                                   }
                                 });
    ASSERT_TRUE(r) << r.error();
    socket_ = std::move(r.value());
  }

  void pump_until(const std::function<bool()>& done) { control::pump_until(loop_, done); }

  // One request from another thread while this one runs the loop.
  std::string request(const std::string& text) {
    std::string reply;
    std::atomic<bool> finished{false};
    std::thread client([&] {
      const int fd = connect_to(path_);
      if (fd >= 0) {
        send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        reply = read_to_eof(fd);
        close(fd);
      }
      finished = true;
    });
    pump_until([&] { return finished.load(); });
    client.join();
    return reply;
  }

  EventLoop loop_;
  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<ControlSocket> socket_;
  std::vector<std::string> lines_;
  std::vector<ControlAccess> accesses_;
  bool hold_replies_ = false;
  std::vector<Reply> held_;
  std::string reply_text_;
};

TEST_F(ControlSocketTest, AnswersOneLinePerConnection) {
  open();
  EXPECT_EQ(request("show vips\nignored\n"), "echo show vips\n");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(accesses_[0], ControlAccess::full);  // the test runs as root
  pump_until([&] { return socket_->clients() == 0; });  // gone once the client has closed
  EXPECT_EQ(socket_->clients(), 0u);
}

TEST_F(ControlSocketTest, CreatedOwnerOnlyWithoutGroup) {
  open();
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlSocketTest, GroupGetsTheSocket) {
  open({.path = {}, .group = "adm", .group_access = ControlAccess::read});
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, 4u);  // Debian's adm
}

TEST_F(ControlSocketTest, UnknownGroupIsRefused) {
  auto r = ControlSocket::open(loop_, {.path = path_, .group = "no-such-group-here"},
                               [](std::string_view, ControlAccess, Reply) {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("control.group"), std::string::npos) << r.error();
}

// An unprivileged user cannot even connect; if the file's mode were loosened, its
// credentials still give it no access.
TEST_F(ControlSocketTest, OtherUsersGetNoAccess) {
  open();
  const auto try_as_nobody = [this] {
    std::atomic<int> result{-2};
    std::thread client([&] {
      const pid_t pid = fork();
      if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        const int fd = connect_to(path_);
        if (fd < 0) _exit(1);
        send(fd, "set server\n", 11, MSG_NOSIGNAL);
        read_to_eof(fd);
        _exit(0);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      result = WEXITSTATUS(status);
    });
    pump_until([&] { return result.load() != -2; });
    client.join();
    return result.load();
  };
  EXPECT_EQ(try_as_nobody(), 1);  // connect refused: mode 0600
  EXPECT_TRUE(lines_.empty());
  chmod(path_.c_str(), 0666);
  EXPECT_EQ(try_as_nobody(), 0);
  ASSERT_EQ(accesses_.size(), 1u);
  EXPECT_EQ(accesses_[0], ControlAccess::none);
}

// 300 connections that never send a line do not lock the operator out: the oldest silent
// ones make room, and a real request is answered.
TEST_F(ControlSocketTest, SilentClientsCannotLockOperatorsOut) {
  open({.path = {}, .group = {}, .group_access = ControlAccess::read, .max_clients = 64});
  std::vector<int> silent;
  for (int i = 0; i < 300; ++i) {
    silent.push_back(connect_to(path_));
    loop_.run_once_nowait();  // accepts as they come, as the daemon's loop would
  }
  EXPECT_EQ(request("show stats\n"), "echo show stats\n");
  EXPECT_LE(socket_->clients(), 64u);
  EXPECT_GE(socket_->evicted(), 300u - 64u);
  for (int fd : silent) close(fd);
}

TEST_F(ControlSocketTest, ClientWithoutALineIsDroppedAtItsDeadline) {
  open({.path = {}, .group = {}, .group_access = ControlAccess::read, .line_timeout_ms = 50});
  std::string reply = "unset";
  std::atomic<bool> finished{false};
  std::thread client([&] {
    const int fd = connect_to(path_);
    send(fd, "show vi", 7, MSG_NOSIGNAL);  // and never the rest
    reply = read_to_eof(fd);
    close(fd);
    finished = true;
  });
  pump_until([&] { return finished.load(); });
  client.join();
  EXPECT_EQ(reply, "");  // closed without an answer
  EXPECT_TRUE(lines_.empty());
}

// A 10 MB line is cut one byte past the limit and answered at once, so the parser refuses it
// with its usual message; the rest is never read.
TEST_F(ControlSocketTest, OverlongLineIsAnsweredAtTheLimit) {
  open();
  reply_text_ = "refused\n";
  std::string reply;
  std::atomic<bool> finished{false};
  std::thread client([&] {
    const int fd = connect_to(path_);
    const std::string huge(10 << 20, 'x');
    send(fd, huge.data(), huge.size(), MSG_NOSIGNAL);  // fails part-way once we stop reading
    shutdown(fd, SHUT_WR);
    reply = read_to_eof(fd);
    close(fd);
    finished = true;
  });
  pump_until([&] { return finished.load(); });
  client.join();
  EXPECT_EQ(reply, "refused\n");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].size(), kMaxCommandLength + 1);
  EXPECT_FALSE(parse_command(lines_[0]).command);
}

// An answer given later (show conns waits for the workers) reaches its client; one given
// after the client left, or after the socket closed, goes nowhere.
TEST_F(ControlSocketTest, LateAnswers) {
  open();
  hold_replies_ = true;
  std::string reply;
  std::atomic<bool> finished{false};
  std::thread client([&] {
    const int fd = connect_to(path_);
    send(fd, "show conns\n", 11, MSG_NOSIGNAL);
    reply = read_to_eof(fd);
    close(fd);
    finished = true;
  });
  pump_until([&] { return held_.size() == 1; });
  ASSERT_EQ(held_.size(), 1u);
  held_[0]("later\n");
  pump_until([&] { return finished.load(); });
  client.join();
  EXPECT_EQ(reply, "later\n");
  held_[0]("again\n");  // the client is gone: ignored
  socket_.reset();
  held_[0]("after close\n");  // the socket is gone: ignored
}

// Bytes a client sent after its line stay unread; closing over them would make the client's
// read fail with ECONNRESET after the reply instead of ending cleanly. The socket ends its
// side first and waits for the client to close.
TEST_F(ControlSocketTest, ReplyEndsCleanlyWhenTheClientSentMore) {
  open();
  hold_replies_ = true;
  std::string reply;
  int last_recv = 1;
  int last_errno = 0;
  std::atomic<bool> line_taken{false};
  std::atomic<bool> finished{false};
  std::thread client([&] {
    const int fd = connect_to(path_);
    send(fd, "show conns\n", 11, MSG_NOSIGNAL);
    while (!line_taken) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    send(fd, "more bytes", 10, MSG_NOSIGNAL);  // after the line: never read as a request
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    line_taken = false;  // tells the loop the bytes are queued
    char buf[256];
    ssize_t n = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
    last_recv = static_cast<int>(n);
    last_errno = errno;
    close(fd);
    finished = true;
  });
  pump_until([&] { return held_.size() == 1; });
  ASSERT_EQ(held_.size(), 1u);
  line_taken = true;
  pump_until([&] { return !line_taken.load(); });
  held_[0]("answer\n");
  pump_until([&] { return finished.load(); });
  client.join();
  EXPECT_EQ(reply, "answer\n");
  EXPECT_EQ(last_recv, 0) << "the read after the reply failed: " << std::strerror(last_errno);
  pump_until([&] { return socket_->clients() == 0; });
  EXPECT_EQ(socket_->clients(), 0u);
  EXPECT_EQ(lines_.size(), 1u);
}

// A client that does not read a large answer is dropped at its deadline and does not hold
// up others.
TEST_F(ControlSocketTest, ClientThatDoesNotReadIsDropped) {
  open({.path = {}, .group = {}, .group_access = ControlAccess::read, .reply_timeout_ms = 100});
  reply_text_ = std::string(8 << 20, 'y');
  const int stuck = connect_to(path_);
  send(stuck, "show conns\n", 11, MSG_NOSIGNAL);
  pump_until([&] { return lines_.size() == 1; });
  reply_text_.clear();
  EXPECT_EQ(request("show vips\n"), "echo show vips\n");
  pump_until([&] { return socket_->clients() == 0; });
  EXPECT_EQ(socket_->clients(), 0u);
  close(stuck);
}

}  // namespace
}  // namespace sluice::control
