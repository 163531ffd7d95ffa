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

namespace {

// What one LOG_AT writes to stderr.
template <class... Args>
std::string captured(common::logging::level lvl, const Args&... args) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(pipe_fds[1], STDERR_FILENO);
  common::logging::log(lvl, "wyze", args...);
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(pipe_fds[1]);
  std::string written(4096, '\0');
  auto got = ::read(pipe_fds[0], written.data(), written.size());
  ::close(pipe_fds[0]);
  REQUIRE(got > 0);
  written.resize(static_cast<std::size_t>(got));
  return written;
}

}  // namespace

TEST_CASE("a logged nickname with a newline and a fake log line is written as one line") {
  auto written = captured(common::logging::level::warn, "device list: camera 3 (",
                          "Porch\n2026-11-30T00:00:00.000Z ERROR bridge: forged", ") skipped");
  CHECK(std::count(written.begin(), written.end(), '\n') == 1);
  CHECK(written.find(
            "WARN  wyze: device list: camera 3 (Porch\\n2026-11-30T00:00:00.000Z ERROR bridge: forged) skipped\n") !=
        std::string::npos);
}

TEST_CASE("log.format json writes one valid JSON object per line whatever the message holds") {
  common::logging::set_format(common::logging::format::json);
  const std::string hostile = "Porch\n\"},{\"level\":\"error\"\x1b[2J\xff\xc3(\xe2\x80\xa8";
  auto written = captured(common::logging::level::error, hostile);
  common::logging::set_format(common::logging::format::text);
  CHECK(std::count(written.begin(), written.end(), '\n') == 1);
  CHECK(written.starts_with("{\"time\":\""));
  CHECK(written.find("\"level\":\"error\",\"component\":\"wyze\",\"message\":\"Porch\\n\\\"},{\\\"level\\\":") !=
        std::string::npos);
  // Control characters as \u escapes, bytes that are not UTF-8 as U+FFFD.
  CHECK(written.find("\\u001b[2J\xef\xbf\xbd\xef\xbf\xbd(") != std::string::npos);
}

TEST_CASE("under journald each line starts with its syslog priority") {
  common::logging::set_journal_priorities(true);
  auto warn = captured(common::logging::level::warn, "w");
  auto error = captured(common::logging::level::error, "e");
  auto info = captured(common::logging::level::info, "i");
  common::logging::set_journal_priorities(false);
  CHECK(warn.starts_with("<4>"));
  CHECK(error.starts_with("<3>"));
  CHECK(info.starts_with("<6>"));
  CHECK_FALSE(captured(common::logging::level::info, "i").starts_with("<"));
}
