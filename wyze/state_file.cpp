#include "wyze/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wyze {

state_file::state_file(std::string directory) : directory_(std::move(directory)) {}

session state_file::load(std::string& problem) const {
  problem.clear();
  std::ifstream in(path(), std::ios::binary);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    if (auto s = parse_session(text.str())) return *s;
    problem = path() + " is not a session file; starting a new session (one login)";
  }
  session fresh;
  fresh.phone_id = random_uuid();
  return fresh;
}

std::string state_file::save(const session& s) const {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return "cannot create the state directory " + directory_ + ": " + ec.message() + " (set wyze.state_dir)";
  std::string temp = path() + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + temp + ": " + std::strerror(errno) + " (set wyze.state_dir)";
  ::fchmod(fd, 0600);  // an older temp file may have had other bits
  std::string text = serialize(s);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), path().c_str()) != 0) {
    std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    return "cannot write " + path() + ": " + reason;
  }
  return {};
}

}  // namespace wyze
