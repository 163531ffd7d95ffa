#include "bridge/process_stats.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace bridge {
namespace {

// The seconds since the epoch at which the machine booted (/proc/stat btime).
std::optional<double> boot_time() {
  std::ifstream stat("/proc/stat");
  std::string key;
  while (stat >> key) {
    if (key == "btime") {
      double seconds = 0;
      if (stat >> seconds) return seconds;
      return std::nullopt;
    }
    stat.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<process_stats> read_process_stats() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Field 3 (state) is the first here; utime and stime are fields 14 and 15, starttime 22, rss 24.
  std::uint64_t utime = 0, stime = 0, starttime = 0;
  std::int64_t rss_pages = 0;
  auto parse = [](const std::string& text, auto& value) {
    std::from_chars(text.data(), text.data() + text.size(), value);
  };
  for (int number = 3; fields >> field && number <= 24; ++number) {
    if (number == 14) parse(field, utime);
    if (number == 15) parse(field, stime);
    if (number == 22) parse(field, starttime);
    if (number == 24) parse(field, rss_pages);
  }
  long ticks = ::sysconf(_SC_CLK_TCK);
  long page = ::sysconf(_SC_PAGESIZE);
  if (ticks <= 0 || page <= 0) return std::nullopt;
  process_stats out;
  out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  out.resident_bytes = rss_pages > 0 ? static_cast<std::uint64_t>(rss_pages) * static_cast<std::uint64_t>(page) : 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++out.open_fds;
  if (out.open_fds > 0) --out.open_fds;  // the directory listing's own descriptor
  if (auto boot = boot_time())
    out.start_time_seconds = *boot + static_cast<double>(starttime) / static_cast<double>(ticks);
  return out;
}

}  // namespace bridge
