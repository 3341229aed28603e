// Text from the configuration (service names, addresses) made safe for where the HTTP
// endpoint puts it: Prometheus label values and HTML. Names are the operator's, but a file
// can come from anywhere (a pushed configuration, a ticket): nothing in one may break out of
// a label or inject markup into the page an operator opens.
// Invalid UTF-8 becomes U+FFFD in both: Prometheus refuses a scrape with it, and a browser
// guesses.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice::control::http {

// Prometheus text format: backslash, double quote and newline as \\, \" and \n.
void append_label_value(std::string& out, std::string_view value);
// &, <, >, " and ' as entities: safe in element text and in quoted attribute values.
void append_html(std::string& out, std::string_view text);
std::string html(std::string_view text);

}  // namespace sluice::control::http
