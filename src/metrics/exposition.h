// File: metrics/exposition.h
//
// Writes the Prometheus text exposition format (version 0.0.4): for each family its # HELP and
// # TYPE lines, then its samples `name{label="value",...} number`. Label values are escaped
// (backslash, double quote, newline) as the format requires. Built for scrapes of a large
// table: a label set used by several families is rendered once (Labels) and reused, and
// numbers are written with std::to_chars, not streams.
//
//   Exposition out;
//   out.Family("node_ipvs_backend_weight", Type::kGauge, "The current backend weight ...");
//   Labels l;
//   l.Add("local_address", "198.19.0.1").Add("local_port", "80");
//   out.Sample(l, 3);
//   std::string text = std::move(out).Text();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ipvsd::metrics {

enum class Type { kCounter, kGauge };

// The media type of the format, for the HTTP reply.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A rendered label set: `{a="x",b="y"}` (empty when no label was added).
class Labels {
 public:
  Labels& Add(std::string_view name, std::string_view value);
  Labels& Add(std::string_view name, uint64_t value);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

class Exposition {
 public:
  // Starts the family `name`; its samples follow. A name is written as given: callers use
  // valid metric names ([a-zA-Z_:][a-zA-Z0-9_:]*).
  void Family(std::string_view name, Type type, std::string_view help);
  // A sample of the current family.
  void Sample(const Labels& labels, double value);
  void Sample(const Labels& labels, uint64_t value);
  void Sample(double value) { Sample(Labels(), value); }
  void Sample(uint64_t value) { Sample(Labels(), value); }

  // Room for `bytes` of text: a large scrape is written without copying itself as it grows.
  void Reserve(size_t bytes) { text_.reserve(bytes); }

  const std::string& text() const& { return text_; }
  std::string Text() && { return std::move(text_); }

 private:
  std::string text_;
  std::string family_;
};

// The label value as the format writes it between its quotes.
std::string EscapeLabelValue(std::string_view value);

}  // namespace ipvsd::metrics
