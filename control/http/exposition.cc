#include "control/http/exposition.h"

#include <charconv>
#include <cmath>

#include "control/http/escape.h"

namespace sluice::control::http {

void LabelSet::add(std::initializer_list<Label> labels) {
  for (const Label& l : labels) {
    text_ += text_.empty() ? "{" : ",";
    text_ += l.name;
    text_ += "=\"";
    append_label_value(text_, l.value);
    text_ += '"';
  }
  if (!text_.empty() && text_.back() == '"') text_ += '}';
}

LabelSet LabelSet::with(std::initializer_list<Label> more) const {
  LabelSet out = *this;
  if (!out.text_.empty()) out.text_.pop_back();  // the closing brace, to add before it
  out.add(more);
  return out;
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  name_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == MetricType::counter ? " counter\n" : " gauge\n";
}

void Exposition::begin_sample(const LabelSet& labels) {
  out_ += name_;
  out_ += labels.text();
  out_ += ' ';
}

void Exposition::append(uint64_t value) {
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  out_ += '\n';
}

void Exposition::sample(const LabelSet& labels, uint64_t value) {
  begin_sample(labels);
  append(value);
}

void Exposition::sample(const LabelSet& labels, Label more, uint64_t value) {
  out_ += name_;
  const std::string_view base = labels.text();
  out_ += base.empty() ? "{" : base.substr(0, base.size() - 1);  // without its closing brace
  if (!base.empty()) out_ += ',';
  out_ += more.name;
  out_ += "=\"";
  append_label_value(out_, more.value);
  out_ += "\"} ";
  append(value);
}

void Exposition::sample(const LabelSet& labels, double value) {
  begin_sample(labels);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  }
  out_ += '\n';
}

}  // namespace sluice::control::http
