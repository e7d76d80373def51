#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace ipvsd::metrics {
namespace {

void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendNumber(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, end);
  }
}

// HELP text escapes backslash and newline only.
void AppendHelp(std::string* out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Labels& Labels::Add(std::string_view name, std::string_view value) {
  // The closing brace of the labels so far becomes the separator.
  if (text_.empty()) {
    text_.push_back('{');
  } else {
    text_.back() = ',';
  }
  text_.append(name);
  text_.append("=\"");
  text_.append(EscapeLabelValue(value));
  text_.append("\"}");
  return *this;
}

Labels& Labels::Add(std::string_view name, uint64_t value) {
  std::string digits;
  AppendNumber(&digits, value);
  return Add(name, digits);
}

void Exposition::Family(std::string_view name, Type type, std::string_view help) {
  family_.assign(name);
  text_.append("# HELP ");
  text_.append(name);
  text_.push_back(' ');
  AppendHelp(&text_, help);
  text_.append("\n# TYPE ");
  text_.append(name);
  text_.append(type == Type::kCounter ? " counter\n" : " gauge\n");
}

void Exposition::Sample(const Labels& labels, double value) {
  text_.append(family_);
  text_.append(labels.text());
  text_.push_back(' ');
  AppendNumber(&text_, value);
  text_.push_back('\n');
}

void Exposition::Sample(const Labels& labels, uint64_t value) {
  text_.append(family_);
  text_.append(labels.text());
  text_.push_back(' ');
  AppendNumber(&text_, value);
  text_.push_back('\n');
}

}  // namespace ipvsd::metrics
