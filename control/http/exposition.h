// The Prometheus text exposition format (version 0.0.4), written: families with their HELP
// and TYPE lines, samples with escaped label values. Names are the caller's constants; label
// values may be anything (names from the configuration), and are escaped here.
// Thread safety: one writer per thread; nothing shared.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sluice::control::http {

struct Label {
  std::string_view name;   // ours: [a-zA-Z_][a-zA-Z0-9_]*
  std::string_view value;  // anyone's
};

// Labels rendered once for the samples of many families (a real server's labels appear in
// every family about real servers).
class LabelSet {
 public:
  LabelSet() = default;
  LabelSet(std::initializer_list<Label> labels) { add(labels); }
  // These labels and `more`.
  LabelSet with(std::initializer_list<Label> more) const;
  // `{a="x",b="y"}`, or nothing for an empty set.
  std::string_view text() const { return text_; }

 private:
  void add(std::initializer_list<Label> labels);
  std::string text_;
};

enum class MetricType { counter, gauge };

class Exposition {
 public:
  // Starts a family; its samples follow (the format wants them together). `help` is ours.
  void family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the current family.
  void sample(const LabelSet& labels, uint64_t value);
  void sample(const LabelSet& labels, double value);
  // With one label more (a state of a state set), without building a LabelSet for it.
  void sample(const LabelSet& labels, Label more, uint64_t value);
  // Room for `bytes` more text (a scrape's size is known roughly in advance).
  void reserve(size_t bytes) { out_.reserve(out_.size() + bytes); }
  std::string take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  void begin_sample(const LabelSet& labels);
  void append(uint64_t value);
  std::string out_;
  std::string name_;
};

}  // namespace sluice::control::http
