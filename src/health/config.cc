// File: health/config.cc
//
// keepalived.conf in two passes: a tokenizer (comments, quotes, braces, include) builds a
// tree of statements, each with its file and line; the interpreter walks the tree and fills
// Config. The first error stops everything and carries its position.
#include "health/config.h"

#include <glob.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "health/file_check.h"
#include "health/script_security.h"
#include "net/headers.h"

namespace ipvsd::health {
namespace {

// Bounds on what a configuration may make the parser do. keepalived's lib/parser.c has none
// (its include stack grows with the file, and unknown blocks are skipped by counting braces),
// but it does not build a tree: here globs that fan out level after level multiply (four
// matches per level, seven levels: 16384 reads), and every '{' is a recursion of the tree
// builder and of the tree's destructor. Real configurations stay far below all three.
constexpr int kMaxIncludeDepth = 8;
constexpr size_t kMaxIncludedFiles = 1024;
constexpr int kMaxBlockDepth = 64;
// A virtual_server_group stands for this many services at most: a range or prefix typed one
// digit wrong (10.0.0.0/8 for /28) would otherwise create millions.
constexpr size_t kMaxGroupServices = 65536;
// ~SEQ / ~LST read at most this many lines in all: ~SEQ(A, 1, 2000000000) would otherwise
// fill memory (keepalived's own example makes 65024).
constexpr size_t kMaxGeneratedLines = 1 << 20;
constexpr int kWildcardNibble = 16;  // an X in a require_reply hex string
// A line may grow to this many characters through parameter substitution: a parameter that
// names itself ($A=x${A}) would otherwise grow it without end (keepalived stops at its
// buffer's size with "would exceed maximum line length").
constexpr size_t kMaxSubstitutedLine = 1 << 16;
constexpr const char* kNameCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

struct Token {
  std::string text;
  const std::string* file;
  int line;
  bool first_on_line;
  bool quoted;
};

// A keyword, its arguments (the rest of its line) and, for blocks, its children.
struct Node {
  Token keyword;
  std::vector<Token> args;
  bool block = false;
  std::vector<Node> children;
};

std::string Where(const Token& t) { return *t.file + ":" + std::to_string(t.line); }
Error ErrorAt(const Token& t, const std::string& msg) { return MakeError(EINVAL, Where(t) + ": " + msg); }

class Tokenizer {
 public:
  // Files named in messages must outlive the tokens; they live here.
  std::vector<std::unique_ptr<std::string>> names;
  std::vector<Token> tokens;
  std::vector<std::string> notices;  // "file:line: ..." to log, as Config::notices

  // keepalived's config id (its -i, by default the host name up to the first dot): a line
  // `@ID ...` is read only where the id is ID, `@^ID ...` only where it is not.
  explicit Tokenizer(std::string config_id) : config_id_(std::move(config_id)) {}

  Status AddText(std::string_view text, const std::string& name, const std::string& dir, int depth) {
    names.push_back(std::make_unique<std::string>(name));
    const std::string* file = names.back().get();
    // ${_PWD} is the directory of the file being read (keepalived changes into it).
    const std::string saved_pwd = std::exchange(pwd_, RealPath(dir));
    int line_no = 0;
    size_t pos = 0;
    Status st = Ok();
    while (pos <= text.size() && st) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ++line_no;
      // Comments go first, as keepalived's decomment: a parameter in one is not replaced.
      std::string line = StripComment(text.substr(pos, end - pos));
      pos = end + 1;
      // A definition whose value ends in a backslash goes on on the next line.
      while (IsDefinition(line) && !line.empty() && line.back() == '\\' && pos <= text.size()) {
        end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        line.pop_back();
        line.erase(line.find_last_not_of(" \t") + 1);
        // `$NAME=\` alone starts the value on the next line, as keepalived's check_definition.
        if (line.find_first_not_of(" \t", line.find('=') + 1) != std::string::npos) line += '\n';
        const std::string next = StripComment(text.substr(pos, end - pos));
        line += next.substr(std::min(next.size(), next.find_first_not_of(" \t")));
        pos = end + 1;
        ++line_no;
      }
      st = AddLine(line, file, line_no, dir, depth);
    }
    pwd_ = saved_pwd;
    return st;
  }

  Status AddFile(const std::string& path, int depth) {
    std::ifstream in(path);
    if (!in) return MakeError(ENOENT, path + ": cannot open: " + std::strerror(errno));
    std::stringstream buf;
    buf << in.rdbuf();
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    ++files_read_;
    reading_.push_back(RealPath(path));
    // An include_check in a file holds until the file ends (keepalived saves and restores it).
    const unsigned saved_checks = include_checks_;
    Status st = AddText(buf.str(), path, dir, depth);
    include_checks_ = saved_checks;
    reading_.pop_back();
    return st;
  }

 private:
  // `$NAME=VALUE` at the start of a line: NAME of letters, digits and '_', not starting with a
  // digit, directly followed by '=' (keepalived's check_definition).
  static bool IsDefinition(std::string_view line) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] != '$') return false;
    const size_t eq = line.find('=', start);
    return eq != std::string_view::npos && eq > start + 1 && !std::isdigit(static_cast<unsigned char>(line[start + 1])) &&
           line.substr(start + 1, eq - start - 1).find_first_not_of(kNameCharacters) == std::string_view::npos;
  }

  // LINE up to its comment ('#' or '!' outside quotes), without trailing blanks.
  static std::string StripComment(std::string_view line) {
    char quote = 0;
    size_t end = line.size();
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quote != 0) {
        if (quote == '"' && c == '\\' && i + 1 < line.size()) {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' || c == '!') {
        end = i;
        break;
      }
    }
    std::string out(line.substr(0, end));
    out.erase(out.find_last_not_of(" \t\r") + 1);
    return out;
  }

  // One line of a file (a definition already joined with its continuation lines), after
  // keepalived's preprocessing: the @ID / @^ID condition, $NAME=VALUE definitions, and $NAME
  // and ${NAME} replaced by their values (a value of several lines makes several lines).
  Status AddLine(std::string line, const std::string* file, int line_no, const std::string& dir, int depth) {
    const size_t start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line[start] == '@') {
      const size_t space = line.find_first_of(" \t", start);
      const bool negated = start + 1 < line.size() && line[start + 1] == '^';
      const std::string id = line.substr(start + (negated ? 2 : 1), space == std::string::npos ? std::string::npos
                                                                                              : space - start - (negated ? 2 : 1));
      if ((id == config_id_) == negated) return Ok();
      line = space == std::string::npos ? std::string() : line.substr(space);
    }
    if (IsGeneratorLine(line)) return AddGeneratedLines(line, file, line_no, dir, depth);
    if (IsDefinition(line)) {
      const size_t dollar = line.find('$');
      const size_t eq = line.find('=', dollar);
      const size_t value = line.find_first_not_of(" \t", eq + 1);
      params_[line.substr(dollar + 1, eq - dollar - 1)] = value == std::string::npos ? "" : line.substr(value);
      return Ok();
    }
    Result<std::string> substituted = Substitute(line);
    if (!substituted) return MakeError(EINVAL, *file + ":" + std::to_string(line_no) + ": " + substituted.error().message);
    line = std::move(*substituted);
    size_t pos = 0;
    while (pos <= line.size()) {
      size_t end = line.find('\n', pos);
      if (end == std::string::npos) end = line.size();
      const std::string_view one_line = std::string_view(line).substr(pos, end - pos);
      pos = end + 1;
      std::vector<Token> tokens_of_line;
      if (Status st = SplitLine(one_line, file, line_no, false, &tokens_of_line); !st) return st;
      if (tokens_of_line.empty()) continue;
      // A parameter's value may itself start with a generator.
      if (IsGeneratorLine(one_line)) {
        if (Status st = AddGeneratedLines(std::string(one_line), file, line_no, dir, depth); !st) return st;
        continue;
      }
      if (const std::optional<unsigned> checks = IncludeKeywordChecks(tokens_of_line[0])) {
        // A pattern's braces are glob's, not blocks.
        tokens_of_line.clear();
        if (Status st = SplitLine(one_line, file, line_no, true, &tokens_of_line); !st) return st;
        if (tokens_of_line.size() != 2) {
          return ErrorAt(tokens_of_line[0], tokens_of_line[0].text + " needs exactly one file pattern");
        }
        if (Status st = Include(tokens_of_line[1], dir, depth, include_checks_ | *checks); !st) return st;
        continue;
      }
      // keepalived reads include_check in global_defs only; it applies to the includes after it.
      if (tokens_of_line[0].text == "include_check" && !tokens_of_line[0].quoted && open_blocks_.size() == 1 &&
          open_blocks_[0] == "global_defs") {
        if (Status st = SetIncludeChecks(tokens_of_line); !st) return st;
      }
      TrackBlocks(tokens_of_line);
      tokens.insert(tokens.end(), tokens_of_line.begin(), tokens_of_line.end());
    }
    return Ok();
  }

  static bool IsGeneratorLine(std::string_view line) {
    const size_t start = line.find_first_not_of(" \t");
    return start != std::string_view::npos &&
           (line.compare(start, 4, "~SEQ") == 0 || line.compare(start, 4, "~LST") == 0);
  }

  // keepalived's line generators (lib/parser.c): the rest of the line is read once per value
  // of the generator with its variables defined as parameters, so that generators stacked on
  // one line nest, outermost first. The variables are undefined again afterwards.
  Status AddGeneratedLines(const std::string& line, const std::string* file, int line_no, const std::string& dir,
                           int depth) {
    const std::string where = *file + ":" + std::to_string(line_no) + ": ";
    Result<LineGenerator> generator = ParseGenerator(line.substr(line.find('~')));
    if (!generator) return MakeError(EINVAL, where + generator.error().message);
    std::map<std::string, std::optional<std::string>> saved;
    for (const std::string& name : generator->variables) {
      auto it = params_.find(name);
      saved[name] = it == params_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    Status st = Ok();
    for (const std::vector<std::string>& values : generator->rows) {
      if (++generated_lines_ > kMaxGeneratedLines) {
        st = MakeError(EINVAL, where + "line generators would produce more than " +
                                   std::to_string(kMaxGeneratedLines) + " lines");
        break;
      }
      for (size_t k = 0; k < values.size(); ++k) params_[generator->variables[k]] = values[k];
      st = AddLine(generator->rest, file, line_no, dir, depth);
      if (!st) break;
    }
    for (const auto& [name, value] : saved) {
      if (value) {
        params_[name] = *value;
      } else {
        params_.erase(name);
      }
    }
    return st;
  }

  struct LineGenerator {
    std::vector<std::string> variables;
    std::vector<std::vector<std::string>> rows;  // one value per variable, for each reading of the line
    std::string rest;                            // the line after the generator
  };

  // `~SEQ(V, [start, [step,]] end)`, `~SEQx(...)` (values in hex) or `~LST(V, a, b, ...)` /
  // `~LST({V1,V2}, {a1,a2}, {b1,b2})` at the start of TEXT. Parameters are substituted in the
  // arguments of ~SEQ, as keepalived does.
  Result<LineGenerator> ParseGenerator(const std::string& text) const {
    const bool is_list = text.compare(0, 4, "~LST") == 0;
    const bool hex = !is_list && text.size() > 4 && text[4] == 'x';
    const std::string name = is_list ? "~LST" : hex ? "~SEQx" : "~SEQ";
    size_t open = text.find_first_not_of(" \t", name.size());
    const size_t close = text.find(')');
    if (open == std::string::npos || text[open] != '(' || close == std::string::npos) {
      return MakeError(EINVAL, name + " needs (...) right after it");
    }
    LineGenerator g;
    const size_t rest = text.find_first_not_of(" \t", close + 1);
    g.rest = rest == std::string::npos ? "" : text.substr(rest);
    const std::string inside = text.substr(open + 1, close - open - 1);
    Result<std::string> args = is_list ? Result<std::string>(inside) : Substitute(inside);
    if (!args) return args.error();
    if (Status st = is_list ? ParseList(*args, &g) : ParseSequence(*args, hex, &g); !st) return st.error();
    for (const std::string& v : g.variables) {
      if (v.empty() || v.find_first_not_of(kNameCharacters) != std::string::npos || std::isdigit(static_cast<unsigned char>(v[0]))) {
        return MakeError(EINVAL, name + ": '" + v + "' is not a variable name");
      }
    }
    return g;
  }

  // ARGS is "V, end", "V, start, end" or "V, start, step, end" (numbers as strtol reads them
  // with base 0: 0x10 is 16). keepalived's defaults: start 1 (-1 when end < 0), step +-1
  // towards end; a zero step or one away from end is an error, and so are negative ~SEQx values.
  static Status ParseSequence(const std::string& args, bool hex, LineGenerator* g) {
    const std::vector<std::string> parts = SplitTrimmed(args, ',');
    if (parts.size() < 2 || parts.size() > 4) return MakeError(EINVAL, "~SEQ takes (VAR, [START, [STEP,]] END)");
    std::vector<long> numbers;
    for (size_t k = 1; k < parts.size(); ++k) {
      char* end = nullptr;
      errno = 0;
      const long value = std::strtol(parts[k].c_str(), &end, 0);
      if (parts[k].empty() || *end != '\0' || errno == ERANGE) {
        return MakeError(EINVAL, "~SEQ: '" + parts[k] + "' is not a number");
      }
      numbers.push_back(value);
    }
    const long end = numbers.back();
    long start = end < 0 ? -1 : 1;
    if (numbers.size() >= 2) start = numbers[0];
    long step = start <= end ? 1 : -1;
    if (numbers.size() == 3) {
      step = numbers[1];
      if (step == 0 || (start < end && step < 0) || (start > end && step > 0)) {
        return MakeError(EINVAL, "~SEQ: step " + std::to_string(step) + " never goes from " + std::to_string(start) +
                                     " to " + std::to_string(end));
      }
    }
    if (hex && (start < 0 || end < 0)) return MakeError(EINVAL, "~SEQx takes no negative values");
    // Unsigned, so that the span of any two longs fits.
    const unsigned long span = step > 0 ? static_cast<unsigned long>(end) - static_cast<unsigned long>(start)
                                        : static_cast<unsigned long>(start) - static_cast<unsigned long>(end);
    const unsigned long count = span / (step > 0 ? static_cast<unsigned long>(step) : 0 - static_cast<unsigned long>(step)) + 1;
    if (count > kMaxGeneratedLines) {
      return MakeError(EINVAL, "~SEQ would produce more than " + std::to_string(kMaxGeneratedLines) + " lines");
    }
    g->variables = {parts[0]};
    for (unsigned long k = 0; k < count; ++k) {
      char buf[24];
      std::snprintf(buf, sizeof buf, hex ? "%lx" : "%ld", start + static_cast<long>(k) * step);
      g->rows.push_back({buf});
    }
    return Ok();
  }

  // ARGS is "V, a, b, ..." or "{V1,V2}, {a1,a2}, {b1,b2}, ...": every group names one value
  // per variable.
  static Status ParseList(const std::string& args, LineGenerator* g) {
    std::vector<std::vector<std::string>> groups;
    for (size_t i = args.find_first_not_of(" \t"); i != std::string::npos && i < args.size();) {
      size_t end = 0;
      if (args[i] == '{') {
        end = args.find('}', i);
        if (end == std::string::npos) return MakeError(EINVAL, "~LST: '{' without '}'");
        groups.push_back(SplitTrimmed(args.substr(i + 1, end - i - 1), ','));
        end = args.find_first_not_of(" \t", end + 1);
      } else {
        end = args.find(',', i);
        groups.push_back({Trimmed(args.substr(i, end == std::string::npos ? std::string::npos : end - i))});
      }
      if (end != std::string::npos && args[end] != ',') return MakeError(EINVAL, "~LST: ',' expected after a value");
      i = end == std::string::npos ? end : args.find_first_not_of(" \t", end + 1);
    }
    if (groups.size() < 2) return MakeError(EINVAL, "~LST takes (VAR, VALUE, ...) or ({VAR,...}, {VALUE,...}, ...)");
    g->variables = groups[0];
    for (size_t k = 1; k < groups.size(); ++k) {
      if (groups[k].size() != g->variables.size()) {
        return MakeError(EINVAL, "~LST: group " + std::to_string(k) + " has " + std::to_string(groups[k].size()) +
                                     " values for " + std::to_string(g->variables.size()) + " variables");
      }
      for (const std::string& v : groups[k]) {
        if (v.empty()) return MakeError(EINVAL, "~LST: empty value in group " + std::to_string(k));
      }
      g->rows.push_back(groups[k]);
    }
    return Ok();
  }

  static std::string Trimmed(const std::string& s) {
    const size_t first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
  }

  static std::vector<std::string> SplitTrimmed(const std::string& s, char separator) {
    std::vector<std::string> out;
    size_t from = 0;
    for (size_t at = s.find(separator); ; at = s.find(separator, from)) {
      out.push_back(Trimmed(s.substr(from, at == std::string::npos ? std::string::npos : at - from)));
      if (at == std::string::npos) return out;
      from = at + 1;
    }
  }

  // keepalived's include checks (include_check in global_defs, and the include variants). Any
  // of them includes the readable check.
  static constexpr unsigned kCheckReadable = 1;       // a matched file that cannot be read is an error
  static constexpr unsigned kCheckMatch = 2;          // a pattern without wildcards must match
  static constexpr unsigned kCheckWildcardMatch = 4;  // any pattern must match
  static constexpr unsigned kCheckBraceMatch = 8;     // every {a,b} alternative without wildcards must match
  static constexpr unsigned kCheckAll = kCheckReadable | kCheckMatch | kCheckWildcardMatch | kCheckBraceMatch;

  // The checks an include keyword adds (include none, includea all); nullopt for other words.
  static std::optional<unsigned> IncludeKeywordChecks(const Token& word) {
    if (word.quoted) return std::nullopt;
    static const std::map<std::string, unsigned> checks = {
        {"include", 0},           {"includer", kCheckReadable},    {"includem", kCheckMatch},
        {"includew", kCheckWildcardMatch}, {"includeb", kCheckBraceMatch}, {"includea", kCheckAll}};
    auto it = checks.find(word.text);
    if (it == checks.end()) return std::nullopt;
    return it->second;
  }

  // include_check [OPTION...]: no option means all; plain options replace the set, +OPTION
  // adds one and -OPTION removes one.
  Status SetIncludeChecks(const std::vector<Token>& words) {
    static const std::map<std::string, unsigned> options = {
        {"readable", kCheckReadable}, {"match", kCheckMatch}, {"wildcard_match", kCheckWildcardMatch},
        {"brace_match", kCheckBraceMatch}};
    if (words.size() == 1) {
      include_checks_ = kCheckAll;
      return Ok();
    }
    unsigned checks = include_checks_;
    bool replaced = false;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i].text;
      const bool signed_option = !w.empty() && (w[0] == '+' || w[0] == '-');
      auto it = options.find(signed_option ? w.substr(1) : w);
      if (it == options.end()) {
        return ErrorAt(words[i], "include_check option must be readable, match, wildcard_match or brace_match "
                                 "(optionally with + or -), not '" + w + "'");
      }
      if (!signed_option && !replaced) {
        checks = 0;
        replaced = true;
      }
      checks = signed_option && w[0] == '-' ? checks & ~it->second : checks | it->second;
    }
    include_checks_ = checks;
    return Ok();
  }

  // The keyword of each block open at this point, so that include_check is seen only where
  // keepalived reads it.
  void TrackBlocks(const std::vector<Token>& line) {
    for (const Token& t : line) {
      if (!t.quoted && t.text == "{") {
        open_blocks_.push_back(last_word_);
      } else if (!t.quoted && t.text == "}") {
        if (!open_blocks_.empty()) open_blocks_.pop_back();
      } else {
        last_word_ = t.text;
      }
    }
  }

  // keepalived's replace_param (lib/parser.c): `${NAME}` anywhere, and `$NAME` followed by a
  // blank, ',', ')' or the end of the line, of a defined parameter or a predefined one, is
  // replaced by its value, and the value is read again (a value may name parameters, which
  // are looked up now). NAME starts with a letter or '_'. A parameter of several lines is
  // replaced only at the end of a line; a value starting with '~' (a generator) ends the
  // replacing. Anything else is kept as written.
  Result<std::string> Substitute(std::string line) const {
    for (size_t pos = line.find('$'); pos != std::string::npos && pos + 1 < line.size(); pos = line.find('$', pos)) {
      const bool braced = line[pos + 1] == '{';
      const size_t name_start = pos + (braced ? 2 : 1);
      size_t name_end = name_start;
      while (name_end < line.size() && (std::isalnum(static_cast<unsigned char>(line[name_end])) || line[name_end] == '_')) {
        ++name_end;
      }
      size_t ref_end = name_end;  // one past the reference
      std::string args;           // ${_RANDOM MIN MAX}'s numbers
      bool valid = name_end > name_start && !std::isdigit(static_cast<unsigned char>(line[name_start]));
      if (valid && braced) {
        const size_t close = line.find_first_not_of(" 0123456789", name_end);
        args = line.substr(name_end, close == std::string::npos ? std::string::npos : close - name_end);
        valid = close != std::string::npos && line[close] == '}' && (args.empty() || args.back() != ' ');
        ref_end = close + 1;
      } else if (valid) {
        valid = name_end == line.size() || std::string_view(" \t,)").find(line[name_end]) != std::string_view::npos;
      }
      std::optional<std::string> value;
      if (valid) {
        Result<std::optional<std::string>> v = ValueOf(line.substr(name_start, name_end - name_start), args,
                                                       ref_end == line.size());
        if (!v) return v.error();
        value = std::move(*v);
      }
      if (!value) {
        ++pos;
        continue;
      }
      line.replace(pos, ref_end - pos, *value);
      if (line.size() > kMaxSubstitutedLine) {
        return MakeError(EINVAL, "parameter substitution makes the line longer than " +
                                     std::to_string(kMaxSubstitutedLine) + " characters");
      }
      const size_t first = value->find_first_not_of(" \t");
      if (first != std::string::npos && (*value)[first] == '~') break;
    }
    return line;
  }

  // The value of parameter NAME (with ARGS, the numbers after the name in braces), or nullopt
  // when it is not replaced: a definition of the file first, then keepalived 2.2.7's
  // predefined ones: _PWD, _INSTANCE, _RANDOM [MIN [MAX]] (0..32767 by default), _HASH ('#')
  // and _BANG ('!'; after replacing both start a comment, as in keepalived 2.2.7, which reads
  // the line for comments again). AT_END: the reference ends the line, where alone a value of
  // several lines may stand.
  Result<std::optional<std::string>> ValueOf(const std::string& name, const std::string& args, bool at_end) const {
    if (auto it = params_.find(name); it != params_.end()) {
      if (!args.empty() || (!at_end && it->second.find('\n') != std::string::npos)) return std::optional<std::string>();
      return std::optional<std::string>(it->second);
    }
    if (name == "_RANDOM") {
      std::istringstream in(args);
      std::vector<unsigned long> bounds;
      for (std::string word; in >> word;) {
        errno = 0;
        bounds.push_back(std::strtoul(word.c_str(), nullptr, 10));
        if (errno != 0 || bounds.back() > 0x7fffffffUL) return MakeError(EINVAL, "${_RANDOM}: '" + word + "' is too large");
      }
      if (bounds.size() > 2) return MakeError(EINVAL, "${_RANDOM} takes at most MIN and MAX");
      const unsigned long min = bounds.empty() ? 0 : bounds[0];
      const unsigned long max = bounds.size() < 2 ? std::max(min, 32767UL) : bounds[1];
      if (max < min) return MakeError(EINVAL, "${_RANDOM" + args + "}: MAX is below MIN");
      std::uniform_int_distribution<unsigned long> pick(min, max);
      return std::optional<std::string>(std::to_string(pick(random_)));
    }
    if (!args.empty()) return std::optional<std::string>();
    if (name == "_PWD") return std::optional<std::string>(pwd_);
    if (name == "_INSTANCE") return std::optional<std::string>(config_id_);
    if (name == "_HASH") return std::optional<std::string>("#");
    if (name == "_BANG") return std::optional<std::string>("!");
    return std::optional<std::string>();
  }

  // BRACES_ARE_WORDS: '{' and '}' are characters of a word (an include pattern's glob braces).
  static Status SplitLine(std::string_view line, const std::string* file, int line_no, bool braces_are_words,
                          std::vector<Token>* out) {
    size_t i = 0;
    bool first = true;
    while (i < line.size()) {
      const char c = line[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == '#' || c == '!') break;  // comment to the end of the line
      if ((c == '{' || c == '}') && !braces_are_words) {
        out->push_back({std::string(1, c), file, line_no, first, false});
        first = false;
        ++i;
        continue;
      }
      // A word, as keepalived reads one: plain characters and quoted parts ("..." with \" and
      // \\ escapes, or '...') glued together (a"b c" is one word, ab c), up to a blank, a
      // brace or a comment outside the quotes (5#note is 5).
      std::string word;
      bool quoted = false;
      size_t j = i;
      while (j < line.size()) {
        const char ch = line[j];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '#' || ch == '!') break;
        if ((ch == '{' || ch == '}') && !braces_are_words) break;
        if (ch != '"' && ch != '\'') {
          word += ch;
          ++j;
          continue;
        }
        quoted = true;
        for (++j; j < line.size() && line[j] != ch; ++j) {
          if (ch == '"' && line[j] == '\\' && j + 1 < line.size() && (line[j + 1] == '"' || line[j + 1] == '\\')) ++j;
          word += line[j];
        }
        if (j == line.size()) {
          return MakeError(EINVAL, *file + ":" + std::to_string(line_no) + ": unterminated quoted string");
        }
        ++j;
      }
      out->push_back({std::move(word), file, line_no, first, quoted});
      first = false;
      i = j;
    }
    return Ok();
  }

  // One include line with CHECKS (keepalived's rules, lib/parser.c): the pattern is a glob with
  // csh braces, relative to the including file. What matches nothing, or cannot be read, or
  // is a directory or an executable, is skipped with a notice unless a check makes it an error.
  Status Include(const Token& pattern_tok, const std::string& dir, int depth, unsigned checks) {
    if (depth >= kMaxIncludeDepth) {
      return ErrorAt(pattern_tok, "includes nested more than " + std::to_string(kMaxIncludeDepth) + " deep");
    }
    std::string pattern = pattern_tok.text;
    if (pattern.empty() || pattern[0] != '/') pattern = dir + "/" + pattern;
    const std::string quoted = "'" + pattern_tok.text + "'";
    if (const std::vector<std::string> alternatives = ExpandBraces(pattern);
        (checks & kCheckBraceMatch) && alternatives.size() > 1) {
      for (const std::string& alternative : alternatives) {
        if (!HasWildcard(alternative) && access(alternative.c_str(), F_OK) != 0) {
          return ErrorAt(pattern_tok, "include " + quoted + ": " + alternative + " does not exist (brace_match)");
        }
      }
    }
    glob_t g{};
    const int rc = glob(pattern.c_str(), GLOB_MARK | GLOB_BRACE, nullptr, &g);
    if (rc != 0) {
      globfree(&g);
      const bool must_match = (checks & kCheckWildcardMatch) || ((checks & kCheckMatch) && !HasWildcard(pattern));
      if (rc != GLOB_NOMATCH) return ErrorAt(pattern_tok, "include " + quoted + ": glob failed");
      if (must_match) return ErrorAt(pattern_tok, "include " + quoted + " matches no file");
      // keepalived goes on without it (a conf.d directory may be empty); so does healthd, saying so.
      notices.push_back(Where(pattern_tok) + ": include " + quoted + " matches no file");
      return Ok();
    }
    Status st = Ok();
    for (size_t k = 0; k < g.gl_pathc && st; ++k) {
      const std::string path = g.gl_pathv[k];
      if (const std::string why = WhyNotReadable(path); !why.empty()) {
        if (checks != 0) {
          st = ErrorAt(pattern_tok, "include " + quoted + ": " + path + " " + why);
          break;
        }
        notices.push_back(Where(pattern_tok) + ": include " + quoted + ": skipping " + path + ", " + why);
        continue;
      }
      // Checked before reading, so the error names the include line that goes too far.
      if (std::find(reading_.begin(), reading_.end(), RealPath(path)) != reading_.end()) {
        st = ErrorAt(pattern_tok, "include loop: " + quoted + " includes " + path + " again");
        break;
      }
      if (files_read_ >= kMaxIncludedFiles) {
        st = ErrorAt(pattern_tok, "include " + quoted + " would read more than " +
                                      std::to_string(kMaxIncludedFiles) + " files");
        break;
      }
      st = AddFile(path, depth + 1);
      if (!st) st = ErrorAt(pattern_tok, st.error().message);
    }
    globfree(&g);
    return st;
  }

  static bool HasWildcard(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

  // Why keepalived would not read PATH (a glob result, directories marked with a '/'): it is a
  // directory, not a regular non-executable file, or cannot be opened; empty when it reads it.
  static std::string WhyNotReadable(const std::string& path) {
    if (!path.empty() && path.back() == '/') return "is a directory";
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::string("cannot be read: ") + std::strerror(errno);
    if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) return "is not a regular non-executable file";
    if (access(path.c_str(), R_OK) != 0) return std::string("cannot be read: ") + std::strerror(errno);
    return "";
  }

  // Every alternative of the csh brace expressions in PATTERN ("a{b,c{d,e}}" gives ab, acd,
  // ace), as glob's GLOB_BRACE expands them; a pattern without a complete brace is itself.
  static std::vector<std::string> ExpandBraces(const std::string& pattern) {
    const size_t open = pattern.find('{');
    if (open == std::string::npos) return {pattern};
    std::vector<size_t> commas;
    size_t close = std::string::npos;
    int depth = 0;
    for (size_t i = open; i < pattern.size() && close == std::string::npos; ++i) {
      if (pattern[i] == '{') ++depth;
      if (pattern[i] == '}' && --depth == 0) close = i;
      if (pattern[i] == ',' && depth == 1) commas.push_back(i);
    }
    if (close == std::string::npos) return {pattern};
    std::vector<std::string> out;
    size_t from = open + 1;
    commas.push_back(close);
    for (const size_t to : commas) {
      const std::string one = pattern.substr(0, open) + pattern.substr(from, to - from) + pattern.substr(close + 1);
      for (std::string& alternative : ExpandBraces(one)) out.push_back(std::move(alternative));
      from = to + 1;
    }
    return out;
  }

  // The identity of a file however a glob spells its path; PATH itself when it cannot be
  // resolved (opening it reports the error).
  static std::string RealPath(const std::string& path) {
    char* real = realpath(path.c_str(), nullptr);
    if (real == nullptr) return path;
    std::string s(real);
    std::free(real);
    return s;
  }

  size_t files_read_ = 0;
  size_t generated_lines_ = 0;  // lines read through ~SEQ / ~LST, all of the configuration
  std::string config_id_;
  std::string pwd_;                    // ${_PWD}: the directory of the file being read
  mutable std::mt19937 random_{std::random_device{}()};  // ${_RANDOM}
  std::map<std::string, std::string> params_;
  std::vector<std::string> reading_;  // the include chain being read, outermost first
  unsigned include_checks_ = 0;       // include_check's setting where the tokenizer is
  std::vector<std::string> open_blocks_;
  std::string last_word_;
};

// Builds the statement tree; braces must balance.
class TreeBuilder {
 public:
  explicit TreeBuilder(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<std::vector<Node>> Build() { return Block(nullptr, 0); }

 private:
  Result<std::vector<Node>> Block(const Token* opener, int depth) {
    std::vector<Node> nodes;
    while (i_ < t_.size()) {
      const Token& tok = t_[i_];
      if (tok.text == "}" && !tok.quoted) {
        if (opener == nullptr) return ErrorAt(tok, "'}' without a matching '{'");
        ++i_;
        return nodes;
      }
      if (tok.text == "{" && !tok.quoted) return ErrorAt(tok, "'{' without a keyword before it");
      Node n;
      n.keyword = tok;
      ++i_;
      while (i_ < t_.size() && !t_[i_].first_on_line && !IsBrace(t_[i_])) n.args.push_back(t_[i_++]);
      if (i_ < t_.size() && t_[i_].text == "{" && !t_[i_].quoted) {
        if (depth >= kMaxBlockDepth) {
          return ErrorAt(t_[i_], "blocks nested more than " + std::to_string(kMaxBlockDepth) + " deep");
        }
        ++i_;
        auto children = Block(&n.keyword, depth + 1);
        if (!children) return children.error();
        n.block = true;
        n.children = std::move(*children);
      }
      nodes.push_back(std::move(n));
    }
    if (opener != nullptr) return ErrorAt(*opener, "block '" + opener->text + "' is not closed");
    return nodes;
  }
  static bool IsBrace(const Token& t) { return !t.quoted && (t.text == "{" || t.text == "}"); }

  const std::vector<Token>& t_;
  size_t i_ = 0;
};

Result<double> ParseNumber(const Token& t, double min, double max) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.text.c_str(), &end);
  if (errno != 0 || end == t.text.c_str() || *end != '\0' || !std::isfinite(v)) {
    return ErrorAt(t, "'" + t.text + "' is not a number");
  }
  if (v < min || v > max) {
    std::ostringstream os;
    os << "'" << t.text << "' is out of range (" << min << ".." << max << ")";
    return ErrorAt(t, os.str());
  }
  return v;
}

Result<int> ParseInt(const Token& t, long min, long max) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(t.text.c_str(), &end, 10);
  if (errno != 0 || end == t.text.c_str() || *end != '\0') return ErrorAt(t, "'" + t.text + "' is not an integer");
  if (v < min || v > max) {
    return ErrorAt(t, "'" + t.text + "' is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  }
  return static_cast<int>(v);
}

Result<net::IpAddr> ParseAddr(const Token& t) {
  auto a = net::IpAddr::Parse(t.text);
  if (!a) return ErrorAt(t, "'" + t.text + "' is not an IP address");
  return *a;
}

Status WantArgs(const Node& n, size_t min, size_t max) {
  if (n.args.size() < min || n.args.size() > max) {
    if (min == max) {
      return ErrorAt(n.keyword, "'" + n.keyword.text + "' takes " + std::to_string(min) + " argument" +
                                    (min == 1 ? "" : "s"));
    }
    return ErrorAt(n.keyword, "'" + n.keyword.text + "' takes " + std::to_string(min) + " to " +
                                  std::to_string(max) + " arguments");
  }
  if (n.block) return ErrorAt(n.keyword, "'" + n.keyword.text + "' does not take a block");
  return Ok();
}

Status WantBlock(const Node& n) {
  if (!n.block) return ErrorAt(n.keyword, "'" + n.keyword.text + "' needs a { } block");
  return Ok();
}

// Returns the error of a Status-valued step from any Result-returning function.
#define HEALTH_TRY(expr)                               \
  do {                                                 \
    if (Status st_ = (expr); !st_) return st_.error(); \
  } while (0)

// A flag keyword: alone it is on; keepalived also takes a boolean argument (yes/no, true/false,
// on/off, 1/0, in any case).
Result<bool> ParseFlag(const Node& n) {
  HEALTH_TRY(WantArgs(n, 0, 1));
  if (n.args.empty()) return true;
  std::string v = n.args[0].text;
  for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  return ErrorAt(n.args[0], "'" + n.keyword.text + "' takes yes or no, not '" + n.args[0].text + "'");
}

// USER [GROUP]: looked up now, as keepalived does, so that a name that does not exist is an
// error at its line and never a script run as healthd's own user. Without GROUP, USER's
// primary group.
Result<RunAs> LookupRunAs(const Token& user, const Token* group) {
  const passwd* pw = getpwnam(user.text.c_str());
  if (pw == nullptr) return ErrorAt(user, "user '" + user.text + "' does not exist");
  RunAs run_as{pw->pw_uid, pw->pw_gid};
  if (group != nullptr) {
    const struct group* gr = getgrnam(group->text.c_str());
    if (gr == nullptr) return ErrorAt(*group, "group '" + group->text + "' does not exist");
    run_as.gid = gr->gr_gid;
  }
  return run_as;
}

// notify_up / notify_down / quorum_up / quorum_down: keepalived's `SCRIPT [USER [GROUP]]`
// (notify_script_init), SCRIPT one word, quoted when it has arguments.
Result<NotifyScript> ParseNotifyScript(const Node& n) {
  if (n.args.empty() || n.args.size() > 3 || n.block) {
    return ErrorAt(n.keyword, "'" + n.keyword.text + "' takes SCRIPT [USER [GROUP]] (quote a script with arguments)");
  }
  if (n.args[0].text.find_first_not_of(" \t") == std::string::npos) {
    return ErrorAt(n.args[0], "'" + n.keyword.text + "' takes a script, not an empty word");
  }
  NotifyScript script(n.args[0].text);
  if (n.args.size() > 1) {
    auto run_as = LookupRunAs(n.args[1], n.args.size() == 3 ? &n.args[2] : nullptr);
    if (!run_as) return run_as.error();
    script.run_as = *run_as;
  }
  return script;
}

// Assigns a parsed value or returns its error.
template <typename T, typename R>
Status Assign(T* out, R&& r) {
  if (!r) return r.error();
  *out = static_cast<T>(*r);
  return Ok();
}

// lb_kind / lvs_method METHOD, and for TUN keepalived's `type ipip|gue|gre`, `port N`,
// `nocsum|csum|remcsum` in any order, checked as ipvsadm checks --tun-*.
Result<Forwarding> ParseForwarding(const Node& n) {
  if (n.args.empty()) return ErrorAt(n.keyword, "'" + n.keyword.text + "' takes NAT, DR or TUN");
  const Token& method = n.args[0];
  Forwarding f;
  if (method.text == "NAT") {
    f.method = ctl::Fwd::kMasq;
  } else if (method.text == "DR") {
    f.method = ctl::Fwd::kRoute;
  } else if (method.text == "TUN") {
    f.method = ctl::Fwd::kTunnel;
  } else {
    return ErrorAt(method, "lb_kind must be NAT, DR or TUN, not '" + method.text + "'");
  }
  if (f.method != ctl::Fwd::kTunnel && n.args.size() > 1) {
    return ErrorAt(n.args[1], "only TUN takes options ('" + n.args[1].text + "')");
  }
  bool port_given = false, csum_given = false;
  for (size_t i = 1; i < n.args.size(); ++i) {
    const Token& t = n.args[i];
    if (t.text == "type" && i + 1 < n.args.size()) {
      const std::string& type = n.args[++i].text;
      if (type == "ipip") {
        f.tun_type = ctl::TunType::kIpip;
      } else if (type == "gue") {
        f.tun_type = ctl::TunType::kGue;
      } else if (type == "gre") {
        f.tun_type = ctl::TunType::kGre;
      } else {
        return ErrorAt(n.args[i], "TUN type must be ipip, gue or gre, not '" + type + "'");
      }
    } else if (t.text == "port" && i + 1 < n.args.size()) {
      HEALTH_TRY(Assign(&f.tun_port, ParseInt(n.args[++i], 1, 65535)));
      port_given = true;
    } else if (t.text == "nocsum" || t.text == "csum" || t.text == "remcsum") {
      f.tun_csum = t.text == "nocsum" ? ctl::TunCsum::kNoCsum
                   : t.text == "csum" ? ctl::TunCsum::kCsum
                                      : ctl::TunCsum::kRemCsum;
      csum_given = true;
    } else {
      return ErrorAt(t, "TUN takes 'type ipip|gue|gre', 'port N' and 'nocsum|csum|remcsum', not '" + t.text + "'");
    }
  }
  if ((f.tun_type == ctl::TunType::kGue) != port_given) {
    return ErrorAt(method, port_given ? "a TUN port needs type gue" : "TUN type gue needs a port");
  }
  if (csum_given && f.tun_type == ctl::TunType::kIpip) return ErrorAt(method, "TUN type ipip takes no checksum option");
  if (f.tun_csum == ctl::TunCsum::kRemCsum && f.tun_type != ctl::TunType::kGue) {
    return ErrorAt(method, "remcsum needs TUN type gue");
  }
  return f;
}

// Keywords keepalived knows in these blocks that we accept and ignore (with a notice):
// notification scripts, SMTP alerts and the like have no effect on the IPVS table.
const std::set<std::string>& IgnoredKeywords() {
  static const std::set<std::string> k = {
      "smtp_alert", "warmup", "virtualhost_ssl", "ha_suspend", "fwd_state", "hashed", "retry_timeout",
      "log_all_failures", "enable", "fast_recovery", "ssl_enabled", "tunnel_type", "snmp_name"};
  return k;
}
// Checkers keepalived has that healthd cannot run, and why: a configuration naming one is an
// error, never a checker that silently passes.
const std::map<std::string, std::string>& RefusedCheckers() {
  static const std::map<std::string, std::string> k = {
      {"BFD_CHECK", "BFD_CHECK is not supported: ipvs-healthd has no BFD sessions (keepalived's bfd_instance); "
                    "use another checker for this real server"},
  };
  return k;
}

// The checker blocks healthd runs, by keyword.
std::optional<CheckerKind> CheckerKeyword(const std::string& k) {
  static const std::map<std::string, CheckerKind> kinds = {
      {"TCP_CHECK", CheckerKind::kTcp}, {"HTTP_GET", CheckerKind::kHttp},   {"MISC_CHECK", CheckerKind::kMisc},
      {"SSL_GET", CheckerKind::kSsl},   {"SMTP_CHECK", CheckerKind::kSmtp}, {"UDP_CHECK", CheckerKind::kUdp},
      {"DNS_CHECK", CheckerKind::kDns}, {"PING_CHECK", CheckerKind::kPing}, {"FILE_CHECK", CheckerKind::kFile}};
  auto it = kinds.find(k);
  if (it == kinds.end()) return std::nullopt;
  return it->second;
}

// keepalived's read_hex_str (lib/utils.c): the words are read as one string with single
// spaces between them, two digits make a byte and a digit alone before a space or the end is
// a byte of its own ("Ab12f 3 456" is AB 12 0F 03 45 06). With WILDCARDS (require_reply) an X
// digit matches anything: its bits are set in *MASK, one mask byte per byte.
Result<std::string> ParseHexBytes(const Node& n, bool wildcards, std::string* mask) {
  std::string text;
  for (const Token& a : n.args) text += (text.empty() ? "" : " ") + a.text;
  auto nibble = [wildcards](char c) -> int {
    if (std::isxdigit(static_cast<unsigned char>(c))) return std::stoi(std::string(1, c), nullptr, 16);
    return wildcards && (c == 'X' || c == 'x') ? kWildcardNibble : -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    int value = 0;
    int ignored = 0;
    const size_t digits = i + 1 < text.size() && text[i + 1] != ' ' ? 2 : 1;
    for (size_t k = 0; k < digits; ++k, ++i) {
      const int v = nibble(text[i]);
      if (v < 0) {
        return ErrorAt(n.keyword, "'" + n.keyword.text + "' takes hex digits" + (wildcards ? " and X" : "") +
                                      ", not '" + text[i] + "'");
      }
      value = value << 4 | (v == kWildcardNibble ? 0 : v);
      ignored = ignored << 4 | (v == kWildcardNibble ? 0xf : 0);
    }
    out.push_back(static_cast<char>(value));
    if (mask != nullptr) mask->push_back(static_cast<char>(ignored));
  }
  if (out.empty()) return ErrorAt(n.keyword, "'" + n.keyword.text + "' needs hex digits");
  return out;
}

// A checker's bindto ADDRESS, bind_port PORT or bind_if NAME.
Status ParseSourceSetting(const Node& n, CheckerKind kind, SourceBinding* source) {
  HEALTH_TRY(WantArgs(n, 1, 1));
  const std::string& key = n.keyword.text;
  const Token& v = n.args[0];
  if (key == "bindto") return Assign(&source->addr, ParseAddr(v));
  if (key == "bind_port") {
    if (kind == CheckerKind::kPing) return ErrorAt(n.keyword, "PING_CHECK cannot take bind_port: ICMP has no ports");
    return Assign(&source->port, ParseInt(v, 1, 65535));
  }
  if (v.text.empty() || v.text.size() >= IFNAMSIZ || v.text.find_first_of("/ \t") != std::string::npos) {
    return ErrorAt(v, "'" + v.text + "' is not an interface name (at most " + std::to_string(IFNAMSIZ - 1) +
                          " characters, no '/' or blanks)");
  }
  source->interface = v.text;
  return Ok();
}

bool IsSourceSetting(const std::string& key) {
  return key == "bindto" || key == "bind_port" || key == "bind_if";
}

// A bindto must be of the family the checker connects to (keepalived skips it otherwise), and
// a link-local IPv6 one needs bind_if to say on which link it is.
Status CheckSource(const CheckerConfig& c, const net::IpAddr& rs_addr) {
  if (!c.source.addr.has_value()) return Ok();
  const net::IpAddr& to = c.connect_ip.value_or(rs_addr);
  const net::IpAddr& from = *c.source.addr;
  if (from.family != to.family) {
    return MakeError(EINVAL, c.where + ": bindto " + from.ToString() + " is not of the address family of " +
                                 to.ToString() + ", which the checker connects to");
  }
  const bool link_local = from.is_v6() && from.raw.bytes[0] == 0xfe && (from.raw.bytes[1] & 0xc0) == 0x80;
  if (link_local && c.source.interface.empty()) {
    return MakeError(EINVAL, c.where + ": bindto " + from.ToString() + " is link-local: it needs bind_if");
  }
  return Ok();
}

// MISC_CHECK `user NAME [GROUP]` and global_defs' `script_user NAME [GROUP]`.
Result<RunAs> ParseRunAs(const Node& n) {
  HEALTH_TRY(WantArgs(n, 1, 2));
  return LookupRunAs(n.args[0], n.args.size() == 2 ? &n.args[1] : nullptr);
}

// DNS_CHECK type names (keepalived's dns_type_lookup).
std::optional<uint16_t> DnsType(const std::string& name) {
  static const std::map<std::string, uint16_t> types = {{"A", 1},  {"NS", 2},  {"CNAME", 5}, {"SOA", 6},
                                                        {"MX", 15}, {"TXT", 16}, {"AAAA", 28}};
  std::string upper = name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto it = types.find(upper);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

// Which inherited checker settings the file gives (on the virtual_server, the real_server or
// the checker): where it gives none, the default depends on the checker's kind.
struct ExplicitSettings {
  bool retry = false;
  bool delay_before_retry = false;
};

// "inet" or "inet6" (fwmark entries, ip_family).
std::optional<net::Family> FamilyKeyword(const std::string& word) {
  if (word == "inet") return net::Family::kInet;
  if (word == "inet6") return net::Family::kInet6;
  return std::nullopt;
}

// One service of a virtual_server_group; a fwmark's family may come from the virtual server.
struct GroupKey {
  ctl::ServiceKey key;
  bool family_given = false;
};

class Interpreter {
 public:
  Result<Config> Run(const std::vector<Node>& top) {
    // The script settings first, wherever global_defs stands: they apply to every script.
    for (const Node& n : top) {
      if (n.keyword.text == "global_defs" && n.block) HEALTH_TRY(GlobalDefs(n));
    }
    SetDefaultScriptUser();
    for (const Node& n : top) {
      const std::string& k = n.keyword.text;
      if (k == "virtual_server") {
        HEALTH_TRY(VirtualServer(n));
      } else if (k == "virtual_server_group") {
        HEALTH_TRY(Group(n));
      } else if (k == "track_file" || k == "vrrp_track_file") {
        HEALTH_TRY(TrackFile(n));
      } else if (k == "global_defs" && n.block) {
        cfg_.notices.push_back(Where(n.keyword) + ": global_defs: reading script_user and enable_script_security, "
                                                  "skipping the rest (keepalived's other parts)");
      } else if (n.block) {
        cfg_.notices.push_back(Where(n.keyword) + ": skipping " + k + " block (handled by keepalived's other parts)");
      } else {
        cfg_.notices.push_back(Where(n.keyword) + ": skipping " + k);
      }
    }
    // Groups may be defined after the virtual_server that names them.
    for (size_t i = 0; i < cfg_.virtual_servers.size(); ++i) {
      VirtualServerConfig& vs = cfg_.virtual_servers[i];
      if (!group_refs_[i].has_value()) continue;
      const Token& ref = *group_refs_[i];
      auto it = groups_.find(ref.text);
      if (it == groups_.end()) return ErrorAt(ref, "virtual_server_group '" + ref.text + "' is not defined");
      for (const GroupKey& g : it->second) {
        ctl::ServiceKey key = g.key;
        if (key.fwmark == 0) {
          key.protocol = protocols_[i];
        } else if (!g.family_given) {
          key.family = families_[i];
        }
        if (key.fwmark == 0 && direct_families_[i].has_value() && key.family != *direct_families_[i]) {
          return ErrorAt(ref, "virtual_server_group '" + ref.text + "' has " + ServiceKeyName(key) +
                                  ", of another address family than the real servers (only tunnelled ones may differ)");
        }
        vs.keys.push_back(key);
      }
    }
    // keepalived makes a service without a port persistent (IPVS wants one that serves every
    // port to keep a client on one real server), with the default timeout.
    for (VirtualServerConfig& vs : cfg_.virtual_servers) {
      const bool any_port = std::any_of(vs.keys.begin(), vs.keys.end(),
                                        [](const ctl::ServiceKey& k) { return k.fwmark == 0 && k.port == 0; });
      if (any_port && !(vs.service.flags & ctl::kSvcPersistent)) {
        vs.service.flags |= ctl::kSvcPersistent;
        vs.service.timeout = kDefaultPersistenceTimeout;
        cfg_.notices.push_back(vs.where + ": a service without a port must be persistent: persistence_timeout " +
                               std::to_string(kDefaultPersistenceTimeout) + " (as keepalived)");
      }
    }
    std::set<std::string> seen_keys;
    for (size_t i = 0; i < cfg_.virtual_servers.size(); ++i) {
      for (const ctl::ServiceKey& key : cfg_.virtual_servers[i].keys) {
        const std::string id = ServiceKeyName(key);
        if (!seen_keys.insert(id).second) {
          return MakeError(EINVAL, cfg_.virtual_servers[i].where + ": service " + id + " is configured twice");
        }
      }
    }
    return std::move(cfg_);
  }

 private:
  Status Group(const Node& n) {
    HEALTH_TRY(WantBlock(n));
    if (n.args.size() != 1) return ErrorAt(n.keyword, "virtual_server_group takes a name");
    const std::string& name = n.args[0].text;
    if (groups_.count(name)) return ErrorAt(n.args[0], "virtual_server_group '" + name + "' is defined twice");
    std::vector<GroupKey> keys;
    for (const Node& e : n.children) {
      if (e.block) return ErrorAt(e.keyword, "unexpected block in virtual_server_group");
      if (e.keyword.text == "fwmark") {
        HEALTH_TRY(GroupFwmark(e, &keys));
      } else {
        HEALTH_TRY(GroupAddresses(e, &keys));
      }
      if (keys.size() > kMaxGroupServices) {
        return ErrorAt(e.keyword, "virtual_server_group '" + name + "' has more than " +
                                      std::to_string(kMaxGroupServices) + " services");
      }
    }
    if (keys.empty()) return ErrorAt(n.keyword, "virtual_server_group '" + name + "' is empty");
    groups_[name] = std::move(keys);
    return Ok();
  }

  // `fwmark N [inet|inet6]`; without a family, the virtual server's (from its real servers).
  static Status GroupFwmark(const Node& e, std::vector<GroupKey>* keys) {
    if (e.args.empty() || e.args.size() > 2) return ErrorAt(e.keyword, "fwmark takes a number and optionally inet or inet6");
    GroupKey g;
    HEALTH_TRY(Assign(&g.key.fwmark, ParseInt(e.args[0], 1, 0xffffffffL)));
    if (e.args.size() == 2) {
      const std::optional<net::Family> family = FamilyKeyword(e.args[1].text);
      if (!family) return ErrorAt(e.args[1], "fwmark family must be inet or inet6, not '" + e.args[1].text + "'");
      g.key.family = *family;
      g.family_given = true;
    }
    keys->push_back(g);
    return Ok();
  }

  // keepalived's address entries, each with an optional port (none: port 0, every port):
  // `IP`, `IP-LAST` (LAST replaces the last byte of an IPv4 address, decimal, or the last
  // 16 bits of an IPv6 one, hex; it must be above the first), `IP1-IP2` (both ends included)
  // and `IP/LEN` (every address of the prefix; IP must have no host bits).
  static Status GroupAddresses(const Node& e, std::vector<GroupKey>* keys) {
    if (e.args.size() > 1) {
      return ErrorAt(e.keyword, "group entry must be 'IP [PORT]', 'IP-LAST [PORT]', 'IP1-IP2 [PORT]', "
                                "'IP/LEN [PORT]' or 'fwmark N [inet|inet6]'");
    }
    uint16_t port = 0;
    if (e.args.size() == 1) HEALTH_TRY(Assign(&port, ParseInt(e.args[0], 0, 65535)));
    const std::string& text = e.keyword.text;
    const size_t slash = text.find('/');
    const size_t dash = text.find('-');
    Token first_tok = e.keyword;
    first_tok.text = text.substr(0, std::min(slash, dash));
    auto first = ParseAddr(first_tok);
    if (!first) return first.error();
    net::IpAddr last = *first;
    const int bits = first->is_v6() ? 128 : 32;
    if (slash != std::string::npos) {
      Token len_tok = e.keyword;
      len_tok.text = text.substr(slash + 1);
      auto len = ParseInt(len_tok, 1, bits);
      if (!len) return len.error();
      for (int bit = *len; bit < bits; ++bit) {
        const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
        if (first->raw.bytes[static_cast<size_t>(bit / 8)] & mask) {
          return ErrorAt(e.keyword, "'" + text + "' has address bits set beyond the prefix length");
        }
        last.raw.bytes[static_cast<size_t>(bit / 8)] |= mask;
      }
    } else if (dash != std::string::npos) {
      Token end_tok = e.keyword;
      end_tok.text = text.substr(dash + 1);
      const bool full_address = end_tok.text.find(first->is_v6() ? ':' : '.') != std::string::npos;
      if (full_address) {
        auto end = ParseAddr(end_tok);
        if (!end) return end.error();
        if (end->family != first->family) return ErrorAt(e.keyword, "the ends of '" + text + "' are of different families");
        if (end->raw < first->raw) return ErrorAt(e.keyword, "the range '" + text + "' ends before it starts");
        last = *end;
      } else {
        // The last byte (IPv4, decimal) or the last 16 bits (IPv6, hex), as keepalived's inet_stor.
        errno = 0;
        char* stop = nullptr;
        const unsigned long end = std::strtoul(end_tok.text.c_str(), &stop, first->is_v6() ? 16 : 10);
        const unsigned long max = first->is_v6() ? 0xffff : 0xff;
        if (end_tok.text.empty() || errno != 0 || *stop != '\0' || end > max) {
          return ErrorAt(e.keyword, "'" + end_tok.text + "' is not the end of an address range");
        }
        const unsigned long start = first->is_v6() ? (first->raw.bytes[14] << 8 | first->raw.bytes[15]) : first->raw.bytes[3];
        if (end <= start) return ErrorAt(e.keyword, "the range '" + text + "' does not end above its start");
        if (first->is_v6()) {
          last.raw.bytes[14] = static_cast<uint8_t>(end >> 8);
          last.raw.bytes[15] = static_cast<uint8_t>(end);
        } else {
          last.raw.bytes[3] = static_cast<uint8_t>(end);
        }
      }
    }
    for (net::RawAddr addr = first->raw;; NextAddress(&addr, first->family)) {
      GroupKey g;
      g.key.family = first->family;
      g.key.addr = addr;
      g.key.port = port;
      keys->push_back(g);
      if (addr == last.raw) break;
      if (keys->size() > kMaxGroupServices) {
        return ErrorAt(e.keyword, "'" + text + "' makes more than " + std::to_string(kMaxGroupServices) + " services");
      }
    }
    return Ok();
  }

  // ADDR + 1, in the bytes of its family.
  static void NextAddress(net::RawAddr* addr, net::Family family) {
    for (int i = family == net::Family::kInet6 ? 15 : 3; i >= 0; --i) {
      if (++addr->bytes[static_cast<size_t>(i)] != 0) break;
    }
  }

  Status VirtualServer(const Node& n) {
    HEALTH_TRY(WantBlock(n));
    VirtualServerConfig vs;
    vs.where = Where(n.keyword);
    vs.service.sched_name = "wlc";
    std::optional<Token> group_ref;
    std::optional<Token> granularity;
    std::optional<net::Family> ip_family;
    std::optional<net::IpAddr> addr;
    uint16_t port = 0;
    uint32_t fwmark = 0;
    if (n.args.size() == 2 && n.args[0].text == "group") {
      group_ref = n.args[1];
      vs.name = "group " + n.args[1].text;
    } else if (n.args.size() == 2 && n.args[0].text == "fwmark") {
      auto mark = ParseInt(n.args[1], 1, 0xffffffffL);
      if (!mark) return mark.error();
      fwmark = static_cast<uint32_t>(*mark);
      vs.name = "fwmark " + n.args[1].text;
    } else if (n.args.size() == 1 || n.args.size() == 2) {
      // Without a port: port 0, a service for every port (persistent ones), as keepalived.
      auto a = ParseAddr(n.args[0]);
      if (!a) return a.error();
      addr = *a;
      if (n.args.size() == 2) HEALTH_TRY(Assign(&port, ParseInt(n.args[1], 0, 65535)));
    } else {
      return ErrorAt(n.keyword, "virtual_server takes 'IP [PORT]', 'fwmark N' or 'group NAME'");
    }
    uint8_t protocol = net::kProtoTcp;
    // Checker defaults set in the virtual_server block; real servers and checkers inherit them.
    CheckerConfig inherit;
    ExplicitSettings inherit_set;
    std::vector<const Node*> real_servers;
    int rs_weight = 1;  // `weight` here: the default of its real servers (keepalived's vs_end_handler)
    const Node* sorry = nullptr;
    bool sorry_inhibit = false;
    std::optional<Forwarding> sorry_fwd;
    for (const Node& c : n.children) {
      const std::string& k = c.keyword.text;
      if (k == "real_server") {
        real_servers.push_back(&c);
      } else if (k == "lb_algo" || k == "lvs_sched") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        if (c.args[0].text.size() >= ctl::kSchedNameMax) return ErrorAt(c.args[0], "scheduler name too long");
        vs.service.sched_name = c.args[0].text;
      } else if (k == "lb_kind" || k == "lvs_method") {
        HEALTH_TRY(Assign(&vs.fwd, ParseForwarding(c)));
      } else if (k == "persistence_timeout") {
        HEALTH_TRY(WantArgs(c, 0, 1));
        vs.service.flags |= ctl::kSvcPersistent;
        vs.service.timeout = kDefaultPersistenceTimeout;
        if (!c.args.empty()) HEALTH_TRY(Assign(&vs.service.timeout, ParseInt(c.args[0], 1, 0x7fffffff)));
      } else if (k == "persistence_granularity") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        granularity = c.args[0];
      } else if (k == "protocol") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        std::string p = c.args[0].text;
        for (char& ch : p) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (p == "TCP") {
          protocol = net::kProtoTcp;
        } else if (p == "UDP") {
          protocol = net::kProtoUdp;
        } else if (p == "SCTP") {
          protocol = net::kProtoSctp;
        } else {
          return ErrorAt(c.args[0], "protocol must be TCP, UDP or SCTP, not '" + c.args[0].text + "'");
        }
      } else if (k == "delay_loop") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&vs.delay_loop, ParseNumber(c.args[0], 0.01, 86400)));
        inherit.delay_loop = vs.delay_loop;
      } else if (k == "virtualhost") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        inherit.virtualhost = c.args[0].text;
      } else if (k == "quorum_up") {
        HEALTH_TRY(Assign(&vs.quorum_up, ParseNotifyScript(c)));
        CheckNotifyScript(c, &vs.quorum_up);
      } else if (k == "quorum_down") {
        HEALTH_TRY(Assign(&vs.quorum_down, ParseNotifyScript(c)));
        CheckNotifyScript(c, &vs.quorum_down);
      } else if (k == "alpha") {
        HEALTH_TRY(Assign(&vs.alpha, ParseFlag(c)));
        inherit.alpha = vs.alpha;
      } else if (k == "omega") {
        HEALTH_TRY(Assign(&vs.omega, ParseFlag(c)));
      } else if (k == "weight") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&rs_weight, ParseInt(c.args[0], 1, INT32_MAX)));
      } else if (k == "quorum") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&vs.quorum, ParseInt(c.args[0], 1, 0xffffff)));
      } else if (k == "hysteresis") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&vs.hysteresis, ParseInt(c.args[0], 0, 0xffffff)));
      } else if (k == "inhibit_on_failure") {
        HEALTH_TRY(Assign(&vs.inhibit_on_failure, ParseFlag(c)));
      } else if (k == "sorry_server") {
        HEALTH_TRY(WantArgs(c, 1, 2));
        sorry = &c;
      } else if (k == "sorry_server_inhibit" || k == "sorry_server_lvs_method") {
        // keepalived applies them to the sorry server read so far, and refuses them before it.
        if (sorry == nullptr) return ErrorAt(c.keyword, k + " needs a sorry_server before it");
        if (k == "sorry_server_inhibit") {
          HEALTH_TRY(WantArgs(c, 0, 0));
          sorry_inhibit = true;
        } else {
          HEALTH_TRY(Assign(&sorry_fwd, ParseForwarding(c)));
        }
      } else if (k == "persistence_engine") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        // The one engine IPVS (and ipvsd) has; any other name would fail when the service is made.
        if (c.args[0].text != "sip") {
          return ErrorAt(c.args[0], "persistence_engine must be sip (the only IPVS persistence engine), not '" +
                                        c.args[0].text + "'");
        }
        vs.service.pe_name = c.args[0].text;
      } else if (k == "ops") {
        HEALTH_TRY(WantArgs(c, 0, 0));
        vs.service.flags |= ctl::kSvcOnePacket;
      } else if (k == "flag-1" || k == "sh-fallback" || k == "mh-fallback") {
        vs.service.flags |= ctl::kSvcSched1;
      } else if (k == "flag-2" || k == "sh-port" || k == "mh-port") {
        vs.service.flags |= ctl::kSvcSched2;
      } else if (k == "flag-3") {
        vs.service.flags |= ctl::kSvcSched3;
      } else if (k == "ip_family") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        ip_family = FamilyKeyword(c.args[0].text);
        if (!ip_family) return ErrorAt(c.args[0], "ip_family must be inet or inet6, not '" + c.args[0].text + "'");
        if (addr.has_value() && addr->family != *ip_family) {
          return ErrorAt(c.args[0], "ip_family " + c.args[0].text + " conflicts with the virtual server's address");
        }
      } else if (k == "dynamic_feedback") {
        HEALTH_TRY(Feedback(c, &vs.feedback));
      } else if (IsCheckerDefault(k)) {
        HEALTH_TRY(CheckerDefault(c, &inherit, &inherit_set));
      } else if (IgnoredKeywords().count(k)) {
        cfg_.notices.push_back(Where(c.keyword) + ": ignoring " + k);
      } else {
        return ErrorAt(c.keyword, "unknown keyword '" + k + "' in virtual_server");
      }
    }
    // A group's keys are filled in once every block is read.
    if (!group_ref.has_value()) {
      ctl::ServiceKey key;
      if (fwmark != 0) {
        key.fwmark = fwmark;
      } else {
        key.family = addr->family;
        key.addr = addr->raw;
        key.port = port;
        key.protocol = protocol;
        vs.name = ServiceKeyName(key);
      }
      vs.keys.push_back(key);
    }
    if (granularity.has_value()) {
      const Token& g = *granularity;
      const bool v6 = addr.has_value() && addr->is_v6();
      if (v6) {
        HEALTH_TRY(Assign(&vs.service.netmask, ParseInt(g, 1, 128)));
      } else {
        auto mask = ParseAddr(g);
        if (!mask || mask->is_v6()) return ErrorAt(g, "persistence_granularity must be an IPv4 netmask");
        const uint32_t m = mask->raw.V4();
        if (m != 0 && ((~m + 1) & ~m) != 0) return ErrorAt(g, "'" + g.text + "' is not a contiguous netmask");
        vs.service.netmask = m;
      }
    } else if (addr.has_value() && addr->is_v6()) {
      vs.service.netmask = 128;
    }
    for (const Node* rs_node : real_servers) {
      auto rs = RealServer(*rs_node, vs, rs_weight, inherit, inherit_set);
      if (!rs) return rs.error();
      for (const RealServerConfig& other : vs.real_servers) {
        if (other.addr == rs->addr && other.port == rs->port) {
          return ErrorAt(rs_node->keyword, "real_server " + rs->Name() + " is listed twice");
        }
      }
      vs.real_servers.push_back(std::move(*rs));
    }
    if (sorry != nullptr) {
      RealServerConfig s;
      s.where = Where(sorry->keyword);
      HEALTH_TRY(Assign(&s.addr, ParseAddr(sorry->args[0])));
      if (sorry->args.size() == 2) HEALTH_TRY(Assign(&s.port, ParseInt(sorry->args[1], 0, 65535)));
      s.fwd = sorry_fwd.value_or(vs.fwd);
      s.inhibit_on_failure = sorry_inhibit;
      vs.sorry_server = s;
    }
    if (vs.feedback.enabled && vs.real_servers.empty()) {
      return ErrorAt(n.keyword, "dynamic_feedback without real servers");
    }
    // A firewall-mark service's family, as keepalived's vs_end_handler finds it: ip_family,
    // else the family of the real and sorry servers that are not tunnelled (they must match
    // the service's), else that of the tunnelled ones if they agree, else IPv4.
    std::vector<const RealServerConfig*> servers;
    for (const RealServerConfig& rs : vs.real_servers) servers.push_back(&rs);
    if (vs.sorry_server.has_value()) servers.push_back(&*vs.sorry_server);
    std::set<net::Family> direct, tunnelled;
    for (const RealServerConfig* rs : servers) {
      (rs->fwd.method == ctl::Fwd::kTunnel ? tunnelled : direct).insert(rs->addr.family);
    }
    if (direct.size() > 1) return ErrorAt(n.keyword, "IPv4 and IPv6 real servers that are not tunnelled in one virtual_server");
    std::optional<net::Family> direct_family;
    if (direct.size() == 1) direct_family = *direct.begin();
    if (addr.has_value() && direct_family.has_value() && *direct_family != addr->family) {
      return ErrorAt(n.keyword, "the real servers that are not tunnelled are of another address family than " + vs.name);
    }
    net::Family family = net::Family::kInet;
    if (ip_family.has_value()) {
      family = *ip_family;
    } else if (addr.has_value()) {
      family = addr->family;
    } else if (direct_family.has_value()) {
      family = *direct_family;
    } else if (tunnelled.size() == 1) {
      family = *tunnelled.begin();
    }
    if (fwmark != 0) vs.keys.front().family = family;
    group_refs_.push_back(group_ref);
    protocols_.push_back(protocol);
    families_.push_back(family);
    direct_families_.push_back(direct_family);
    for (const VirtualServerConfig& other : cfg_.virtual_servers) {
      if (other.name == vs.name) return ErrorAt(n.keyword, "virtual_server " + vs.name + " is defined twice");
    }
    cfg_.virtual_servers.push_back(std::move(vs));
    return Ok();
  }

  // global_defs: script_user NAME [GROUP] and enable_script_security (keepalived's
  // global_parser.c); every other keyword there belongs to keepalived's other parts.
  Status GlobalDefs(const Node& n) {
    for (const Node& c : n.children) {
      if (c.keyword.text == "script_user") {
        HEALTH_TRY(Assign(&script_user_, ParseRunAs(c)));
      } else if (c.keyword.text == "enable_script_security") {
        HEALTH_TRY(WantArgs(c, 0, 0));
        script_security_ = true;
      }
    }
    return Ok();
  }

  // keepalived's get_default_script_user: script_user, else the user keepalived_script if it
  // exists, else keepalived's own user (which, with enable_script_security, runs no script
  // without a user of its own). keepalived always runs as root; healthd uses
  // keepalived_script only when it is root too, as a switch to it would fail otherwise.
  void SetDefaultScriptUser() {
    if (script_user_.has_value()) {
      default_user_ = script_user_;
      return;
    }
    const passwd* pw = getpwnam("keepalived_script");
    if (pw != nullptr && geteuid() == 0) {
      default_user_ = RunAs{pw->pw_uid, pw->pw_gid};
    } else if (pw == nullptr) {
      no_default_user_ = script_security_;
    }
  }

  // Keepalived's rules for a script about to be configured (notify.c notify_script_init,
  // check_script_secure): RUN_AS is filled with the default script user when empty; false when
  // keepalived would not run the script (no user for it under enable_script_security, or a
  // script root would run that others can change), with a notice saying why. Without
  // enable_script_security such a script runs and the notice warns.
  bool ScriptAllowed(const Token& where, const std::string& what, const std::string& command,
                     std::optional<RunAs>* run_as) {
    if (!run_as->has_value()) *run_as = default_user_;
    if (!run_as->has_value() && no_default_user_) {
      cfg_.notices.push_back(Where(where) + ": " + what + " '" + command + "' disabled: enable_script_security needs "
                             "script_user or the user keepalived_script (as keepalived)");
      return false;
    }
    const uid_t uid = run_as->has_value() ? (*run_as)->uid : geteuid();
    const gid_t gid = run_as->has_value() ? (*run_as)->gid : getegid();
    const ScriptSecurity sec = CheckScriptSecurity(command, uid, gid);
    if (!sec.insecure) return true;
    if (script_security_) {
      cfg_.notices.push_back(Where(where) + ": " + what + " '" + command + "' disabled: it would run as root and " +
                             sec.detail + " (enable_script_security, as keepalived)");
      return false;
    }
    cfg_.notices.push_back(Where(where) + ": warning: " + what + " '" + command + "' runs as root and " + sec.detail +
                           " (enable_script_security would disable it)");
    return true;
  }

  // A notify or quorum script under ScriptAllowed: one keepalived would not run is dropped.
  void CheckNotifyScript(const Node& node, NotifyScript* script) {
    if (!ScriptAllowed(node.keyword, node.keyword.text + " script", script->command, &script->run_as)) {
      *script = NotifyScript();
    }
  }

  // track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }, as
  // keepalived's track_file.c reads it (weight -254..254, default 1). A FILE_CHECK names it.
  Status TrackFile(const Node& n) {
    HEALTH_TRY(WantBlock(n));
    if (n.args.size() != 1) return ErrorAt(n.keyword, n.keyword.text + " takes a name");
    const std::string& name = n.args[0].text;
    if (track_files_.count(name)) return ErrorAt(n.args[0], "track_file '" + name + "' is defined twice");
    TrackFileConfig tf;
    tf.name = name;
    tf.where = Where(n.keyword);
    bool have_weight = false;
    for (const Node& k : n.children) {
      const std::string& key = k.keyword.text;
      if (key == "file") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        if (!tf.path.empty()) return ErrorAt(k.keyword, "track_file '" + name + "' has a file already");
        if (k.args[0].text.empty()) return ErrorAt(k.args[0], "track_file file must not be empty");
        tf.path = k.args[0].text;
      } else if (key == "weight") {
        HEALTH_TRY(WantArgs(k, 1, 2));
        if (have_weight) return ErrorAt(k.keyword, "track_file '" + name + "' has a weight already");
        have_weight = true;
        HEALTH_TRY(Assign(&tf.weight, ParseInt(k.args[0], -254, 254)));
        if (k.args.size() == 2 && k.args[1].text != "reverse") {
          return ErrorAt(k.args[1], "track_file weight takes only 'reverse' after the number, not '" + k.args[1].text + "'");
        }
        tf.reverse = k.args.size() == 2;
      } else if (key == "init_file") {
        if (k.block) return ErrorAt(k.keyword, "init_file does not take a block");
        tf.init = TrackFileConfig::Init::kCreate;
        tf.init_value = 0;
        for (const Token& a : k.args) {
          if (a.text == "overwrite") {
            tf.init = TrackFileConfig::Init::kOverwrite;
          } else if (!a.text.empty() && (std::isdigit(static_cast<unsigned char>(a.text[0])) || a.text[0] == '-')) {
            HEALTH_TRY(Assign(&tf.init_value, ParseInt(a, INT32_MIN, INT32_MAX)));
          } else {
            return ErrorAt(a, "init_file takes a VALUE and 'overwrite', not '" + a.text + "'");
          }
        }
      } else {
        return ErrorAt(k.keyword, "unknown keyword '" + key + "' in track_file");
      }
    }
    if (tf.path.empty()) return ErrorAt(n.keyword, "track_file '" + name + "' needs a file");
    track_files_[name] = std::move(tf);
    return Ok();
  }

  // FILE_CHECK { track_file NAME; weight W [reverse|noreverse] } (keepalived's check_file.c):
  // its verdict comes from the file's value (file_check.h). Without a weight (or with 0) the
  // track_file's weight and reverse apply. keepalived knows a file's state at once: no retries,
  // no alpha; the file is read every delay_loop.
  Status FileChecker(const Node& n, CheckerConfig c, std::vector<CheckerConfig>* out) {
    c.retry = 0;
    c.alpha = false;
    const Token* name = nullptr;
    int weight = 0;
    bool reverse = false;
    for (const Node& k : n.children) {
      const std::string& key = k.keyword.text;
      if (key == "track_file") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        name = &k.args[0];
      } else if (key == "weight") {
        HEALTH_TRY(WantArgs(k, 1, 2));
        HEALTH_TRY(Assign(&weight, ParseInt(k.args[0], -kIpvsWeightMax, kIpvsWeightMax)));
        if (k.args.size() == 2 && k.args[1].text != "reverse" && k.args[1].text != "noreverse") {
          return ErrorAt(k.args[1], "FILE_CHECK weight takes 'reverse' or 'noreverse' after the number, not '" +
                                        k.args[1].text + "'");
        }
        reverse = k.args.size() == 2 && k.args[1].text == "reverse";
      } else {
        return ErrorAt(k.keyword, "unknown keyword '" + key + "' in FILE_CHECK (it takes track_file and weight)");
      }
    }
    if (name == nullptr) return ErrorAt(n.keyword, "FILE_CHECK needs a track_file");
    auto it = track_files_.find(name->text);
    if (it == track_files_.end()) {
      return ErrorAt(*name, "track_file '" + name->text + "' is not defined (before this virtual_server, as keepalived needs)");
    }
    const TrackFileConfig& tf = it->second;
    // keepalived drops a track file whose directory is missing; a check that cannot read
    // anything must not pass.
    const size_t slash = tf.path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : tf.path.substr(0, slash);
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return ErrorAt(*name, "track_file '" + tf.name + "': directory " + dir + " of " + tf.path + " does not exist");
    }
    c.track_file = tf.name;
    c.file_path = tf.path;
    c.file_weight = weight != 0 ? weight : tf.weight;
    c.file_reverse = weight != 0 ? reverse : tf.reverse;
    if (std::none_of(cfg_.track_files.begin(), cfg_.track_files.end(),
                     [&](const TrackFileConfig& t) { return t.name == tf.name; })) {
      cfg_.track_files.push_back(tf);
    }
    out->push_back(std::move(c));
    return Ok();
  }

  static bool IsCheckerDefault(const std::string& k) {
    return k == "connect_timeout" || k == "retry" || k == "nb_get_retry" || k == "delay_before_retry" ||
           k == "connect_port" || k == "connect_ip";
  }

  // Settings shared by the three levels (virtual_server, real_server, checker).
  static Status CheckerDefault(const Node& c, CheckerConfig* out, ExplicitSettings* set) {
    const std::string& k = c.keyword.text;
    HEALTH_TRY(WantArgs(c, 1, 1));
    if (k == "connect_timeout") return Assign(&out->connect_timeout, ParseNumber(c.args[0], 0.001, 3600));
    if (k == "delay_before_retry") {
      set->delay_before_retry = true;
      return Assign(&out->delay_before_retry, ParseNumber(c.args[0], 0, 3600));
    }
    if (k == "connect_port") return Assign(&out->connect_port, ParseInt(c.args[0], 1, 65535));
    if (k == "connect_ip") {
      auto a = ParseAddr(c.args[0]);
      if (!a) return a.error();
      out->connect_ip = *a;
      return Ok();
    }
    set->retry = true;
    return Assign(&out->retry, ParseInt(c.args[0], 0, 1000));
  }

  Result<RealServerConfig> RealServer(const Node& n, const VirtualServerConfig& vs, int default_weight,
                                      CheckerConfig inherit, ExplicitSettings inherit_set) {
    HEALTH_TRY(WantBlock(n));
    // Without a port: port 0, as for the real servers of a firewall-mark service.
    if (n.args.empty() || n.args.size() > 2) return ErrorAt(n.keyword, "real_server takes 'IP [PORT]'");
    RealServerConfig rs;
    rs.where = Where(n.keyword);
    HEALTH_TRY(Assign(&rs.addr, ParseAddr(n.args[0])));
    if (n.args.size() == 2) HEALTH_TRY(Assign(&rs.port, ParseInt(n.args[1], 0, 65535)));
    rs.fwd = vs.fwd;
    rs.inhibit_on_failure = vs.inhibit_on_failure;
    rs.weight = default_weight;
    std::vector<const Node*> checkers;
    for (const Node& c : n.children) {
      const std::string& k = c.keyword.text;
      if (k == "weight") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&rs.weight, ParseInt(c.args[0], 0, INT32_MAX)));
      } else if (k == "inhibit_on_failure") {
        HEALTH_TRY(Assign(&rs.inhibit_on_failure, ParseFlag(c)));
      } else if (k == "alpha") {
        HEALTH_TRY(Assign(&inherit.alpha, ParseFlag(c)));
      } else if (k == "virtualhost") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        inherit.virtualhost = c.args[0].text;
      } else if (k == "notify_up") {
        HEALTH_TRY(Assign(&rs.notify_up, ParseNotifyScript(c)));
        CheckNotifyScript(c, &rs.notify_up);
      } else if (k == "notify_down") {
        HEALTH_TRY(Assign(&rs.notify_down, ParseNotifyScript(c)));
        CheckNotifyScript(c, &rs.notify_down);
      } else if (k == "lb_kind" || k == "lvs_method") {
        HEALTH_TRY(Assign(&rs.fwd, ParseForwarding(c)));
      } else if (k == "uthreshold") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&rs.u_threshold, ParseInt(c.args[0], 0, 0x7fffffff)));
      } else if (k == "lthreshold") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&rs.l_threshold, ParseInt(c.args[0], 0, 0x7fffffff)));
      } else if (k == "delay_loop") {
        HEALTH_TRY(WantArgs(c, 1, 1));
        HEALTH_TRY(Assign(&inherit.delay_loop, ParseNumber(c.args[0], 0.01, 86400)));
      } else if (IsCheckerDefault(k)) {
        HEALTH_TRY(CheckerDefault(c, &inherit, &inherit_set));
      } else if (CheckerKeyword(k)) {
        checkers.push_back(&c);
      } else if (auto refused = RefusedCheckers().find(k); refused != RefusedCheckers().end()) {
        return ErrorAt(c.keyword, refused->second);
      } else if (IgnoredKeywords().count(k)) {
        cfg_.notices.push_back(Where(c.keyword) + ": ignoring " + k);
      } else {
        return ErrorAt(c.keyword, "unknown keyword '" + k + "' in real_server");
      }
    }
    if (rs.l_threshold > rs.u_threshold && rs.u_threshold != 0) {
      return ErrorAt(n.keyword, "lthreshold is above uthreshold");
    }
    int dynamic = 0;
    for (const Node* c : checkers) {
      std::vector<CheckerConfig> made;
      HEALTH_TRY(Checker(*c, inherit, inherit_set, &made));
      for (CheckerConfig& chk : made) {
        HEALTH_TRY(CheckSource(chk, rs.addr));
        if (chk.misc_dynamic && ++dynamic > 1) {
          return ErrorAt(c->keyword, "only one MISC_CHECK with misc_dynamic per real_server");
        }
        rs.checkers.push_back(std::move(chk));
      }
    }
    return rs;
  }

  // One checker block; an SMTP_CHECK with host { } blocks makes one checker per host (as
  // keepalived 2 does), each with the SMTP_CHECK's settings and the host's own.
  Status Checker(const Node& n, CheckerConfig inherit, ExplicitSettings set, std::vector<CheckerConfig>* out) {
    HEALTH_TRY(WantBlock(n));
    if (!n.args.empty()) return ErrorAt(n.keyword, n.keyword.text + " takes no arguments");
    CheckerConfig c = std::move(inherit);
    c.where = Where(n.keyword);
    const std::string& kind = n.keyword.text;
    c.kind = *CheckerKeyword(kind);
    if (c.kind == CheckerKind::kFile) return FileChecker(n, std::move(c), out);
    if (!set.retry && c.kind == CheckerKind::kMisc) c.retry = kDefaultRetryMisc;
    if (!set.retry && c.kind == CheckerKind::kDns) c.retry = kDefaultRetryDns;
    const bool http = c.kind == CheckerKind::kHttp || c.kind == CheckerKind::kSsl;
    bool have_path = false;
    bool have_lengths = false;
    std::vector<const Node*> hosts;
    for (const Node& k : n.children) {
      const std::string& key = k.keyword.text;
      if (key == "delay_loop") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        HEALTH_TRY(Assign(&c.delay_loop, ParseNumber(k.args[0], 0.01, 86400)));
      } else if (key == "alpha") {
        HEALTH_TRY(Assign(&c.alpha, ParseFlag(k)));
      } else if (IsCheckerDefault(key) && c.kind != CheckerKind::kMisc) {
        HEALTH_TRY(CheckerDefault(k, &c, &set));
      } else if ((key == "retry" || key == "nb_get_retry" || key == "delay_before_retry") &&
                 c.kind == CheckerKind::kMisc) {
        HEALTH_TRY(CheckerDefault(k, &c, &set));
      } else if (IsSourceSetting(key) && c.kind != CheckerKind::kMisc) {
        HEALTH_TRY(ParseSourceSetting(k, c.kind, &c.source));
      } else if (key == "user" && c.kind == CheckerKind::kMisc) {
        HEALTH_TRY(Assign(&c.misc_user, ParseRunAs(k)));
      } else if (key == "url" && http) {
        HEALTH_TRY(Url(k, &c, &cfg_.notices));
      } else if (key == "virtualhost" && http) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        c.virtualhost = k.args[0].text;
      } else if (key == "http_protocol" && http) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        const std::string& v = k.args[0].text;
        if (v != "1.0" && v != "1.0C" && v != "1.0c" && v != "1.1") {
          return ErrorAt(k.args[0], "http_protocol must be 1.0, 1.0C or 1.1, not '" + v + "'");
        }
        c.http_version = v == "1.0c" ? "1.0C" : v;
      } else if (key == "enable_sni" && http) {  // keepalived reads it in HTTP_GET too, where nothing uses it
        HEALTH_TRY(WantArgs(k, 0, 0));
        c.enable_sni = true;
      } else if (key == "helo_name" && c.kind == CheckerKind::kSmtp) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        c.helo_name = k.args[0].text;
        if (c.helo_name.empty() || c.helo_name.find_first_of("\r\n") != std::string::npos) {
          return ErrorAt(k.args[0], "helo_name must be one non-empty word");
        }
      } else if (key == "host" && c.kind == CheckerKind::kSmtp) {
        HEALTH_TRY(WantBlock(k));
        if (!k.args.empty()) return ErrorAt(k.keyword, "host takes no arguments");
        hosts.push_back(&k);
      } else if (key == "payload" && c.kind == CheckerKind::kUdp) {
        if (k.block) return ErrorAt(k.keyword, "payload does not take a block");
        HEALTH_TRY(Assign(&c.payload, ParseHexBytes(k, false, nullptr)));
      } else if (key == "require_reply" && c.kind == CheckerKind::kUdp) {
        if (k.block) return ErrorAt(k.keyword, "require_reply does not take a block");
        c.require_reply = true;
        c.reply_mask.clear();
        if (!k.args.empty()) HEALTH_TRY(Assign(&c.reply_prefix, ParseHexBytes(k, true, &c.reply_mask)));
      } else if ((key == "min_reply_length" || key == "max_reply_length") && c.kind == CheckerKind::kUdp) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        HEALTH_TRY(Assign(key[1] == 'i' ? &c.min_reply_length : &c.max_reply_length, ParseInt(k.args[0], 0, 65535)));
        have_lengths = true;
      } else if (key == "type" && c.kind == CheckerKind::kDns) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        const std::optional<uint16_t> t = DnsType(k.args[0].text);
        if (!t) return ErrorAt(k.args[0], "DNS_CHECK type must be A, NS, CNAME, SOA, MX, TXT or AAAA, not '" + k.args[0].text + "'");
        c.dns_type = *t;
      } else if (key == "name" && c.kind == CheckerKind::kDns) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        const std::string& name = k.args[0].text;
        if (name.empty() || name.size() > 253 || name.find("..") != std::string::npos ||
            (name != "." && name[0] == '.')) {
          return ErrorAt(k.args[0], "'" + name + "' is not a domain name");
        }
        for (size_t start = 0; start < name.size();) {
          size_t dot = name.find('.', start);
          if (dot == std::string::npos) dot = name.size();
          if (dot - start > 63) return ErrorAt(k.args[0], "a label of '" + name + "' is longer than 63 characters");
          start = dot + 1;
        }
        c.dns_name = name;
      } else if (key == "misc_path" && c.kind == CheckerKind::kMisc) {
        if (k.args.empty() || k.block) return ErrorAt(k.keyword, "misc_path takes a command");
        c.misc_path.clear();
        for (const Token& a : k.args) c.misc_path += (c.misc_path.empty() ? "" : " ") + a.text;
        have_path = true;
      } else if (key == "misc_timeout" && c.kind == CheckerKind::kMisc) {
        HEALTH_TRY(WantArgs(k, 1, 1));
        HEALTH_TRY(Assign(&c.misc_timeout, ParseNumber(k.args[0], 0.001, 3600)));
      } else if (key == "misc_dynamic" && c.kind == CheckerKind::kMisc) {
        HEALTH_TRY(WantArgs(k, 0, 0));
        c.misc_dynamic = true;
      } else if (IgnoredKeywords().count(key)) {
        cfg_.notices.push_back(Where(k.keyword) + ": ignoring " + key);
      } else {
        return ErrorAt(k.keyword, "unknown keyword '" + key + "' in " + kind);
      }
    }
    // keepalived's per-checker default (check_api.c, check_http.c, check_dns.c): 3 s for
    // HTTP_GET and SSL_GET, the checker's delay_loop for DNS_CHECK, 1 s for the others.
    if (!set.delay_before_retry) {
      c.delay_before_retry = http                          ? kDefaultDelayBeforeRetryHttp
                             : c.kind == CheckerKind::kDns ? c.delay_loop
                                                           : kDefaultDelayBeforeRetry;
    }
    if (c.kind == CheckerKind::kMisc && !have_path) return ErrorAt(n.keyword, "MISC_CHECK needs misc_path");
    // keepalived removes a MISC_CHECK whose script it will not run (check_misc.c
    // check_misc_script_security): the real server is judged by its other checkers.
    if (c.kind == CheckerKind::kMisc && !ScriptAllowed(n.keyword, "MISC_CHECK script", c.misc_path, &c.misc_user)) {
      return Ok();
    }
    if (http && c.urls.empty()) return ErrorAt(n.keyword, kind + " needs at least one url");
    if (have_lengths && c.min_reply_length > c.max_reply_length) {
      return ErrorAt(n.keyword, "UDP_CHECK min_reply_length is above max_reply_length: it would always fail");
    }
    if (have_lengths && !c.require_reply) {
      return ErrorAt(n.keyword, "UDP_CHECK reply lengths need require_reply (without it no reply is read)");
    }
    if (hosts.empty()) {
      out->push_back(std::move(c));
      return Ok();
    }
    // keepalived 2.2.7's host block takes every keyword common to the checkers
    // (check_api.c install_checker_common_keywords): connection, source, retry and timing.
    for (const Node* h : hosts) {
      CheckerConfig one = c;
      one.where = Where(h->keyword);
      for (const Node& k : h->children) {
        const std::string& key = k.keyword.text;
        if (key == "delay_loop") {
          HEALTH_TRY(WantArgs(k, 1, 1));
          HEALTH_TRY(Assign(&one.delay_loop, ParseNumber(k.args[0], 0.01, 86400)));
        } else if (key == "alpha") {
          HEALTH_TRY(Assign(&one.alpha, ParseFlag(k)));
        } else if (IsCheckerDefault(key)) {
          ExplicitSettings host_set;  // the SMTP_CHECK's defaults are settled already
          HEALTH_TRY(CheckerDefault(k, &one, &host_set));
        } else if (IsSourceSetting(key)) {
          HEALTH_TRY(ParseSourceSetting(k, one.kind, &one.source));
        } else if (IgnoredKeywords().count(key)) {
          cfg_.notices.push_back(Where(k.keyword) + ": ignoring " + key);
        } else {
          return ErrorAt(k.keyword, "unknown keyword '" + key + "' in SMTP_CHECK host");
        }
      }
      out->push_back(std::move(one));
    }
    return Ok();
  }

  static Status Url(const Node& n, CheckerConfig* c, std::vector<std::string>* notices) {
    HEALTH_TRY(WantBlock(n));
    UrlCheck url;
    std::optional<Token> regex_tok;
    bool have_path = false;
    for (const Node& k : n.children) {
      const std::string& key = k.keyword.text;
      if (key == "path") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        if (k.args[0].text.empty() || k.args[0].text[0] != '/') return ErrorAt(k.args[0], "path must start with '/'");
        url.path = k.args[0].text;
        have_path = true;
      } else if (key == "digest") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        std::string d = k.args[0].text;
        if (d.size() != 32 || d.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
          return ErrorAt(k.args[0], "digest must be 32 hex digits (MD5)");
        }
        for (char& ch : d) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        url.digest = d;
      } else if (key == "status_code") {
        if (k.args.empty() || k.block) return ErrorAt(k.keyword, "status_code takes codes or ranges");
        for (const Token& a : k.args) {
          Token lo = a;
          Token hi = a;
          if (const size_t dash = a.text.find('-'); dash != std::string::npos) {
            lo.text = a.text.substr(0, dash);
            hi.text = a.text.substr(dash + 1);
          }
          auto l = ParseInt(lo, 100, 599);
          if (!l) return l.error();
          auto h = ParseInt(hi, 100, 599);
          if (!h) return h.error();
          if (*h < *l) return ErrorAt(a, "empty status range '" + a.text + "'");
          url.statuses.emplace_back(*l, *h);
        }
      } else if (key == "virtualhost") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        url.virtualhost = k.args[0].text;
      } else if (key == "regex") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        url.regex = k.args[0].text;
        regex_tok = k.args[0];
      } else if (key == "regex_no_match") {
        HEALTH_TRY(Assign(&url.regex_no_match, ParseFlag(k)));
      } else if (key == "regex_options") {
        if (k.args.empty() || k.block) return ErrorAt(k.keyword, "regex_options takes options");
        for (const Token& o : k.args) {
          if (o.text != "caseless") {
            return ErrorAt(o, "regex_options '" + o.text + "' is not supported: healthd's regex is POSIX extended, "
                              "where only caseless has a meaning");
          }
          url.regex_caseless = true;
        }
      } else if (key == "regex_min_offset" || key == "regex_max_offset") {
        HEALTH_TRY(WantArgs(k, 1, 1));
        int offset = 0;
        HEALTH_TRY(Assign(&offset, ParseInt(k.args[0], 0, 0x7fffffff)));
        (key == "regex_min_offset" ? url.regex_min_offset : url.regex_max_offset) = static_cast<size_t>(offset);
      } else if (key == "regex_stack") {
        // PCRE2's JIT stack sizes: POSIX regexec has no such stack to size.
        HEALTH_TRY(WantArgs(k, 2, 2));
        notices->push_back(Where(k.keyword) + ": ignoring regex_stack (a PCRE2 JIT setting; healthd's regex has none)");
      } else {
        return ErrorAt(k.keyword, "unknown keyword '" + key + "' in url");
      }
    }
    if (!have_path) return ErrorAt(n.keyword, "url needs a path");
    if (url.regex.empty() && (url.regex_no_match || url.regex_caseless || url.regex_min_offset != 0 ||
                              url.regex_max_offset != SIZE_MAX)) {
      return ErrorAt(n.keyword, "regex_no_match, regex_options and regex offsets need a regex");
    }
    if (!url.regex.empty()) {
      if (url.regex_max_offset != SIZE_MAX && url.regex_max_offset < url.regex_min_offset) {
        return ErrorAt(n.keyword, "regex_max_offset is below regex_min_offset: the regex could never match");
      }
      regex_t compiled;
      const int rc = regcomp(&compiled, url.regex.c_str(), REG_EXTENDED | (url.regex_caseless ? REG_ICASE : 0));
      if (rc != 0) {
        char why[256] = {};
        regerror(rc, &compiled, why, sizeof why);
        return ErrorAt(*regex_tok, "regex '" + url.regex + "': " + why);
      }
      regfree(&compiled);
    }
    c->urls.push_back(std::move(url));
    return Ok();
  }

  static Status Feedback(const Node& n, FeedbackConfig* f) {
    HEALTH_TRY(WantBlock(n));
    f->enabled = true;
    for (const Node& k : n.children) {
      const std::string& key = k.keyword.text;
      HEALTH_TRY(WantArgs(k, 1, 1));
      const Token& v = k.args[0];
      if (key == "agent_port") {
        HEALTH_TRY(Assign(&f->agent_port, ParseInt(v, 1, 65535)));
      } else if (key == "interval") {
        HEALTH_TRY(Assign(&f->interval, ParseNumber(v, 0.1, 3600)));
      } else if (key == "timeout") {
        HEALTH_TRY(Assign(&f->timeout, ParseNumber(v, 0.01, 60)));
      } else if (key == "adjust") {
        HEALTH_TRY(Assign(&f->adjust, ParseNumber(v, 0.01, 1000)));
      } else if (key == "scale") {
        HEALTH_TRY(Assign(&f->scale, ParseNumber(v, 1, 100)));
      } else if (key == "target") {
        HEALTH_TRY(Assign(&f->target, ParseNumber(v, 0.05, 2)));
      } else if (key == "deadband") {
        HEALTH_TRY(Assign(&f->deadband, ParseNumber(v, 0, 1)));
      } else if (key == "smoothing") {
        HEALTH_TRY(Assign(&f->smoothing, ParseNumber(v, 0.01, 1)));
      } else if (key == "cpu") {
        HEALTH_TRY(Assign(&f->ratio_cpu, ParseNumber(v, 0, 1)));
      } else if (key == "runq") {
        HEALTH_TRY(Assign(&f->ratio_runq, ParseNumber(v, 0, 1)));
      } else if (key == "memory") {
        HEALTH_TRY(Assign(&f->ratio_memory, ParseNumber(v, 0, 1)));
      } else if (key == "connections") {
        HEALTH_TRY(Assign(&f->ratio_conns, ParseNumber(v, 0, 1)));
      } else if (key == "max_connections") {
        HEALTH_TRY(Assign(&f->max_conns, ParseNumber(v, 1, 1e9)));
      } else {
        return ErrorAt(k.keyword, "unknown keyword '" + key + "' in dynamic_feedback");
      }
    }
    const double sum = f->ratio_cpu + f->ratio_runq + f->ratio_memory + f->ratio_conns;
    if (std::fabs(sum - 1.0) > 1e-6) {
      return ErrorAt(n.keyword, "dynamic_feedback ratios cpu + runq + memory + connections must add up to 1");
    }
    if (f->timeout >= f->interval) return ErrorAt(n.keyword, "dynamic_feedback timeout must be below the interval");
    return Ok();
  }

  Config cfg_;
  std::map<std::string, TrackFileConfig> track_files_;  // every track_file block read so far
  std::optional<RunAs> script_user_;                    // global_defs script_user
  bool script_security_ = false;                        // global_defs enable_script_security
  std::optional<RunAs> default_user_;                   // for scripts without a user of their own
  bool no_default_user_ = false;  // enable_script_security and no default user: such scripts do not run
  std::map<std::string, std::vector<GroupKey>> groups_;
  std::vector<std::optional<Token>> group_refs_;
  std::vector<uint8_t> protocols_;
  std::vector<net::Family> families_;  // per virtual server: the family of its fwmark services
  // Per virtual server: the family of its real servers that are not tunnelled, when it has any.
  std::vector<std::optional<net::Family>> direct_families_;
};

Result<Config> Interpret(Tokenizer& tok) {
  TreeBuilder builder(tok.tokens);
  auto tree = builder.Build();
  if (!tree) return tree.error();
  Interpreter interp;
  auto config = interp.Run(*tree);
  if (config) config->notices.insert(config->notices.begin(), tok.notices.begin(), tok.notices.end());
  return config;
}

}  // namespace

std::string ServiceKeyName(const ctl::ServiceKey& key) {
  if (key.fwmark != 0) return "fwmark " + std::to_string(key.fwmark);
  const std::string proto = key.protocol == net::kProtoUdp ? "UDP" : key.protocol == net::kProtoSctp ? "SCTP" : "TCP";
  return net::Endpoint{net::IpAddr{key.addr, key.family}, key.port}.ToString() + "/" + proto;
}

const char* CheckerKindName(CheckerKind kind) {
  switch (kind) {
    case CheckerKind::kTcp: return "TCP_CHECK";
    case CheckerKind::kHttp: return "HTTP_GET";
    case CheckerKind::kMisc: return "MISC_CHECK";
    case CheckerKind::kSsl: return "SSL_GET";
    case CheckerKind::kSmtp: return "SMTP_CHECK";
    case CheckerKind::kUdp: return "UDP_CHECK";
    case CheckerKind::kDns: return "DNS_CHECK";
    case CheckerKind::kPing: return "PING_CHECK";
    case CheckerKind::kFile: return "FILE_CHECK";
  }
  return "?";
}

namespace {

const char* FwdName(ctl::Fwd method) {
  switch (method) {
    case ctl::Fwd::kMasq: return "NAT";
    case ctl::Fwd::kRoute: return "DR";
    case ctl::Fwd::kTunnel: return "TUN";
    case ctl::Fwd::kLocal: return "local";
  }
  return "?";
}

void DescribeRealServer(const char* role, const RealServerConfig& rs, std::string* out) {
  *out += std::string("  ") + role + " " + rs.Name() + " at " + rs.where + ": weight " + std::to_string(rs.weight) +
          ", " + FwdName(rs.fwd.method);
  if (rs.checkers.empty()) {
    *out += ", no checkers (always up)\n";
    return;
  }
  *out += ", checkers:";
  for (const CheckerConfig& c : rs.checkers) *out += std::string(" ") + CheckerKindName(c.kind) + " at " + c.where;
  *out += "\n";
}

}  // namespace

std::string DescribeConfig(const Config& config) {
  std::string out;
  for (const VirtualServerConfig& vs : config.virtual_servers) {
    out += "virtual_server " + vs.name + " at " + vs.where + ": " + std::to_string(vs.real_servers.size()) +
           " real servers, services:";
    for (const ctl::ServiceKey& key : vs.keys) out += " " + ServiceKeyName(key);
    out += "\n";
    for (const RealServerConfig& rs : vs.real_servers) DescribeRealServer("real_server", rs, &out);
    if (vs.sorry_server.has_value()) DescribeRealServer("sorry_server", *vs.sorry_server, &out);
  }
  return out;
}

std::string LocalConfigId() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  std::string id = name;
  return id.substr(0, id.find('.'));
}

Result<Config> ParseConfigFile(const std::string& path, const std::string& config_id) {
  Tokenizer tok(config_id);
  if (Status st = tok.AddFile(path, 0); !st) return st.error();
  return Interpret(tok);
}

Result<Config> ParseConfigText(std::string_view text, const std::string& name, const std::string& config_id) {
  Tokenizer tok(config_id);
  if (Status st = tok.AddText(text, name, ".", 0); !st) return st.error();
  return Interpret(tok);
}

}  // namespace ipvsd::health
