#include "control/ha/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace sluice::control::ha {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// SHA-256 and HMAC-SHA256 fail only when OpenSSL cannot allocate or its default provider is
// missing: no input causes it, so it is reported by exception (docs/architecture.md, errors).
void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + " failed");
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string digest_string(const unsigned char* md, unsigned int size) {
  return std::string(reinterpret_cast<const char*>(md), size);
}

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  check(EVP_Digest(data.data(), data.size(), md, &size, EVP_sha256(), nullptr) == 1,
        "EVP_Digest(SHA-256)");
  return digest_string(md, size);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  check(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), md,
             &size) != nullptr,
        "HMAC(SHA-256)");
  return digest_string(md, size);
}

std::string hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 3986 percent-encoding with upper-case hex, as SigV4 wants; '/' kept in paths only.
std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

// Removes empty, "." and ".." segments (a ".." above the root is dropped) and keeps a
// trailing slash: "//example//" -> "/example/", "/example1/example2/../.." -> "/".
std::string normalized_path(std::string_view path) {
  std::vector<std::string_view> segments;
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && path.ends_with('/')) out += '/';
  return out;
}

// S3 signs the path as sent: its object keys may hold "//" and "." and are encoded once.
std::string canonical_uri(std::string_view path, std::string_view service) {
  if (service == "s3") return std::string(path);
  return uri_encode(normalized_path(path), true);
}

// key=value pairs, each side encoded, sorted by encoded key then value, joined with '&': the
// canonical query string, and also the EC2 form body.
std::string encoded_pairs(Pairs pairs) {
  for (auto& [key, value] : pairs) {
    key = uri_encode(key, false);
    value = uri_encode(value, false);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key + '=' + value;
  }
  return out;
}

bool header_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Leading and trailing whitespace dropped, each inner run one space. A folded value's line
// breaks are such runs (aws-c-auth's get-header-value-multiline).
std::string trimmed(std::string_view value) {
  std::string out;
  bool gap = false;
  for (char c : value) {
    if (header_space(c)) {
      gap = !out.empty();
      continue;
    }
    if (gap) out += ' ';
    gap = false;
    out += c;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines;         // "name:value\n" for each name
  std::string signed_names;  // "name;name"
};

CanonicalHeaders canonical_headers(const Pairs& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-cased name
  for (const auto& [name, value] : headers) {
    auto [it, first] = merged.try_emplace(lower(name));
    if (!first) it->second += ',';
    it->second += trimmed(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.lines += name + ':' + value + '\n';
    if (!out.signed_names.empty()) out.signed_names += ';';
    out.signed_names += name;
  }
  return out;
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string key = hmac_sha256("AWS4" + std::string(secret), date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  return hmac_sha256(key, "aws4_request");
}

}  // namespace

Signed sign_v4(const HttpRequestToSign& r, const Credentials& c, std::string_view region,
               std::string_view service, std::string_view amz_date) {
  Signed out;
  out.headers.emplace_back("Host", r.host);
  out.headers.insert(out.headers.end(), r.headers.begin(), r.headers.end());
  out.headers.emplace_back("X-Amz-Date", amz_date);
  if (!c.session_token.empty()) out.headers.emplace_back("X-Amz-Security-Token", c.session_token);

  const CanonicalHeaders headers = canonical_headers(out.headers);
  out.canonical_request = r.method + '\n' + canonical_uri(r.path, service) + '\n' +
                          encoded_pairs(r.query) + '\n' + headers.lines + '\n' +
                          headers.signed_names + '\n' + hex(sha256(r.body));

  const std::string_view date = amz_date.substr(0, 8);
  const std::string scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' + scope +
                       '\n' + hex(sha256(out.canonical_request));

  const std::string key = signing_key(c.secret_access_key, date, region, service);
  out.authorization = std::string(kAlgorithm) + " Credential=" + c.access_key_id + '/' + scope +
                      ", SignedHeaders=" + headers.signed_names +
                      ", Signature=" + hex(hmac_sha256(key, out.string_to_sign));
  out.headers.emplace_back("Authorization", out.authorization);
  return out;
}

std::string ec2_query_body(Pairs params) {
  params.emplace_back("Version", kEc2ApiVersion);
  return encoded_pairs(std::move(params));
}

}  // namespace sluice::control::ha
