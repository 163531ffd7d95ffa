#include "wyze/state_file.hpp"

#include "common/hex.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace wyze {
namespace {

// tokens.json is a few hundred bytes; anything this large is not ours.
constexpr std::size_t max_state_file = std::size_t{64} * 1024;

// Makes a rename in `directory` survive a power cut.
void sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

result<std::string> read_small_file(const std::string& path, std::size_t limit) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return error{failure::file, "cannot read " + path + ": " + std::strerror(errno)};
  }
  struct stat info {};
  std::string text, problem;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    problem = path + " is not a regular file";
  else if (static_cast<std::size_t>(info.st_size) > limit)
    problem = path + " is larger than " + std::to_string(limit / 1024) + " KiB, too large to be ours";
  else {
    text.resize(limit + 1);
    ssize_t got = 0, total = 0;
    while ((got = ::read(fd, text.data() + total, text.size() - static_cast<std::size_t>(total))) > 0) total += got;
    text.resize(static_cast<std::size_t>(total));
    if (got < 0 || text.size() > limit) problem = "cannot read " + path;
  }
  ::close(fd);
  if (!problem.empty()) return error{failure::file, std::move(problem)};
  return text;
}

result<done> write_file_atomically(const std::string& directory, const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec)
    return error{failure::file,
                 "cannot create the state directory " + directory + ": " + ec.message() + " (set wyze.state_dir)"};
  std::string path = directory + "/" + name;
  // A new name each time, created exclusively and never through a link: a file or symlink planted
  // under a predictable name cannot redirect the write.
  unsigned char salt[8];
  RAND_bytes(salt, sizeof salt);
  std::string temp = path + ".tmp-" + common::hex(salt, sizeof salt);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return error{failure::file, "cannot write " + temp + ": " + std::strerror(errno) + " (set wyze.state_dir)"};
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    return error{failure::file, "cannot write " + path + ": " + reason};
  }
  sync_directory(directory);
  return done{};
}

state_file::state_file(std::string directory) : directory_(std::move(directory)) {}

session state_file::fresh() {
  session s;
  s.phone_id = random_uuid();
  return s;
}

result<session> state_file::load() const {
  auto text = read_small_file(path(), max_state_file);
  if (!text) return error{failure::file, text.error().message + "; starting a new session (one login)"};
  if (text.value().empty()) return fresh();
  if (auto s = parse_session(text.value())) return std::move(*s);
  return error{failure::file, path() + " is not a session file; starting a new session (one login)"};
}

result<done> state_file::save(const session& s) const {
  return write_file_atomically(directory_, "tokens.json", serialize(s));
}

}  // namespace wyze
