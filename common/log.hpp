#pragma once
// One line per event: time, level, component, message. Never pass a secret in.
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace common::logging {

enum class level { trace, debug, info, warn, error };

/// Parses "trace".."error"; returns false on anything else.
bool parse_level(std::string_view text, level& out);

/// "trace".."error".
std::string_view level_name(level lvl);

/// How a line looks: text (`2026-11-26T10:00:00.123Z INFO  wyze: message`) or one JSON object
/// (`{"time":…,"level":"info","component":"wyze","message":…}`).
enum class format { text, json };
void set_format(format f);

/// Starts every line with its syslog priority (`<3>` error … `<7>` debug), as journald reads it.
void set_journal_priorities(bool on);

/// True when stderr is connected to the journal ($JOURNAL_STREAM names its device and inode).
bool stderr_is_journal();

/// The current threshold.
level current_level();

/// Lines below this level are dropped.
void set_level(level threshold);

/// True when a line at `lvl` would be written.
bool enabled(level lvl);

/// `text` with every control character escaped (`\n`, `\r`, `\t`, `\x1b`, C1 as `\u0085`, and the
/// line separators U+2028/U+2029), so one event is always one line whatever the text holds.
std::string escape(std::string_view text);

/// Writes one line to stderr in the configured format: text with the message escaped, or JSON
/// that is valid whatever the message holds.
void write(level lvl, std::string_view component, std::string_view message);

/// Where a component's lines go when it is handed one (the session machine): the process's log in
/// the daemon, a list a unit test reads in tests, so a test can assert the exact lines.
using sink = std::function<void(level lvl, std::string_view component, std::string_view message)>;

/// The process's log: write() for lines at or above the threshold.
sink process_log();

/// Streams its arguments into one line.
template <class... Args>
void log(level lvl, std::string_view component, const Args&... args) {
  if (!enabled(lvl)) return;
  std::ostringstream line;
  (line << ... << args);
  write(lvl, component, line.str());
}

}  // namespace common::logging

#define LOG_AT(lvl, component, ...) ::common::logging::log(::common::logging::level::lvl, component, __VA_ARGS__)
