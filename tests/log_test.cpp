// Log lines: text from outside (a nickname another account chose, the cloud's messages) can never
// start a line of its own or move the terminal's cursor.
#include "common/log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

TEST_CASE("control characters in logged text are escaped, so one event is one line") {
  using common::logging::escape;
  CHECK(escape("Porch\n2026-11-30T00:00:00.000Z ERROR wyze: forged") ==
        "Porch\\n2026-11-30T00:00:00.000Z ERROR wyze: forged");
  CHECK(escape("a\rb\tc") == "a\\rb\\tc");
  CHECK(escape("\x1b[2J\x1b[31mred") == "\\x1b[2J\\x1b[31mred");
  CHECK(escape(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(escape("del\x7f") == "del\\x7f");
  CHECK(escape("next line\xc2\x85here") == "next line\\u0085here");                     // C1 NEL
  CHECK(escape("line\xe2\x80\xa8sep\xe2\x80\xa9para") == "line\\u2028sep\\u2029para");  // JS line breaks
  // Ordinary UTF-8 and what merely looks like an escape are left as they are.
  CHECK(escape("K\xc3\xbc"
               "che \xe2\x98\x83 \\n") ==
        "K\xc3\xbc"
        "che \xe2\x98\x83 \\n");
  CHECK(escape("ends with \xc2") == "ends with \xc2");
}

TEST_CASE("a logged nickname with a newline and a fake log line is written as one line") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(pipe_fds[1], STDERR_FILENO);
  LOG_AT(warn, "wyze", "device list: camera 3 (", "Porch\n2026-11-30T00:00:00.000Z ERROR bridge: forged", ") skipped");
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(pipe_fds[1]);
  std::string written(4096, '\0');
  auto got = ::read(pipe_fds[0], written.data(), written.size());
  ::close(pipe_fds[0]);
  REQUIRE(got > 0);
  written.resize(static_cast<std::size_t>(got));
  CHECK(std::count(written.begin(), written.end(), '\n') == 1);
  CHECK(written.find(
            "WARN  wyze: device list: camera 3 (Porch\\n2026-11-30T00:00:00.000Z ERROR bridge: forged) skipped\n") !=
        std::string::npos);
}
