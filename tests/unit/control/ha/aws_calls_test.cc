// The AWS mode's requests and the meaning of their replies (control/ha/aws_calls.cc): the
// metadata service's and EC2's request shapes, the signed headers, and every kind of reply,
// hostile ones included (oversized, truncated, markup and control bytes where text belongs).
#include "control/ha/aws_calls.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ip_text.h"

namespace sluice::control::ha {
namespace {

const ServiceUrl kImds = {false, "169.254.169.254"};
constexpr int64_t kNow = 1704164645;  // 2024-01-02T03:04:05Z

AwsReply reply(long status, std::string body) { return {status, std::move(body), false}; }

IpAddress ip(const char* text) { return parse_ip(text).value(); }
Prefix prefix(const char* text) { return parse_prefix(text).value(); }

std::vector<std::string> names(const Pairs& headers) {
  std::vector<std::string> out;
  for (const auto& header : headers) out.push_back(header.first);
  return out;
}

std::string header(const Pairs& headers, const std::string& name) {
  for (const auto& [n, value] : headers) {
    if (n == name) return value;
  }
  return "(none)";
}

// ---- the metadata service ----

TEST(ImdsRequests, TheTokenIsAPutThatAsksForItsLifetime) {
  const AwsRequest r = imds_token_request(kImds);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(r.headers, (Pairs{{"X-aws-ec2-metadata-token-ttl-seconds", "300"}}));
  EXPECT_EQ(r.body, "");
}

TEST(ImdsRequests, EveryGetCarriesTheToken) {
  const AwsRequest r = imds_get({false, "[fd00:ec2::254]"}, "tok=", kRegionPath);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "http://[fd00:ec2::254]/latest/meta-data/placement/region");
  EXPECT_EQ(r.headers, (Pairs{{"X-aws-ec2-metadata-token", "tok="}}));
  EXPECT_EQ(imds_get(kImds, "t", credentials_path("sluice-ha")).url,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/sluice-ha");
  EXPECT_EQ(imds_get(kImds, "t", kInstanceIdPath).url,
            "http://169.254.169.254/latest/meta-data/instance-id");
}

TEST(ImdsReplies, ValuesAreTheFirstLineChecked) {
  EXPECT_EQ(judge_token(reply(200, "AQAEAF5wT0m_e2ABC==")).value, "AQAEAF5wT0m_e2ABC==");
  EXPECT_EQ(judge_region(reply(200, "eu-west-1")).value, "eu-west-1");
  EXPECT_EQ(judge_region(reply(200, "us-gov-west-1\n")).value, "us-gov-west-1");
  EXPECT_EQ(judge_instance_id(reply(200, "i-0123456789abcdef0")).value, "i-0123456789abcdef0");
  const Judged<std::string> role = judge_role(reply(200, "sluice-ha\r\nother\n"));
  EXPECT_EQ(role.verdict, Verdict::done);
  EXPECT_EQ(role.value, "sluice-ha");
}

// Text that would change a URL, a header or a host name is refused before it goes anywhere;
// the reason shows it escaped.
TEST(ImdsReplies, HostileValuesAreRefused) {
  for (const char* bad : {"", "eu west 1", "eu-west-1/../x", "EU-WEST-1", "e", "1eu"}) {
    const Judged<std::string> j = judge_region(reply(200, bad));
    EXPECT_EQ(j.verdict, Verdict::retry) << bad;
    EXPECT_TRUE(j.value.empty()) << bad;
  }
  EXPECT_EQ(judge_region(reply(200, "eu-\x01-1")).why, "not a region: \"eu-\\x01-1\"");
  for (const char* bad : {"i-0123", "i-0123456789ABCDEF0", "vol-0123456789abcdef0"}) {
    EXPECT_EQ(judge_instance_id(reply(200, bad)).verdict, Verdict::retry) << bad;
  }
  for (const std::string& bad :
       std::vector<std::string>{"../../x", "role name", "role?x=1", std::string(65, 'r')}) {
    EXPECT_EQ(judge_role(reply(200, bad)).verdict, Verdict::retry) << bad;
  }

  EXPECT_EQ(judge_token(reply(200, "tok\r\nX-Injected: 1")).verdict, Verdict::retry);
  EXPECT_EQ(judge_token(reply(200, std::string(1025, 't'))).verdict, Verdict::retry);
  AwsReply cut = reply(200, std::string(kMaxAwsReply, 'a'));
  cut.cut = true;
  EXPECT_EQ(judge_token(cut).verdict, Verdict::retry);
  EXPECT_EQ(judge_token(cut).why, "reply longer than 64 KiB");
}

TEST(ImdsReplies, StatusesSayWhetherToTryAgain) {
  const Judged<std::string> refused = judge_region(reply(401, ""));
  EXPECT_EQ(refused.verdict, Verdict::retry);
  EXPECT_EQ(refused.why, "HTTP 401: metadata token refused");
  EXPECT_EQ(judge_token(reply(503, "")).verdict, Verdict::retry);
  EXPECT_EQ(judge_token(reply(503, "")).why, "HTTP 503");
  const Judged<std::string> no_role = judge_role(reply(404, "Not Found"));
  EXPECT_EQ(no_role.verdict, Verdict::give_up);
  EXPECT_EQ(no_role.why, "HTTP 404: no IAM role attached to the instance");
  EXPECT_EQ(judge_token(reply(403, "")).verdict, Verdict::give_up);  // IMDS turned off
  EXPECT_EQ(judge_instance_id(reply(302, "")).verdict, Verdict::give_up);
}

// ---- the role's credentials ----

std::string credentials_json(const std::string& key_id = "\"ASIAEXAMPLE1234567890\"",
                             const std::string& token = "\"IQoJb3JpZ2luX2VjEXAMPLE/+=\"",
                             const std::string& expiration = "\"2024-01-02T09:04:05Z\"",
                             const std::string& code = "\"Success\"") {
  return "{\"Code\": " + code +
         ", \"LastUpdated\": \"2024-01-02T03:00:00Z\", \"Type\": \"AWS-HMAC\", "
         "\"AccessKeyId\": " +
         key_id +
         ", \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\", \"Token\": " +
         token + ", \"Expiration\": " + expiration + "}";
}

TEST(ImdsCredentials, AreReadWithTheirExpiry) {
  const Judged<RoleCredentials> j = judge_credentials(reply(200, credentials_json()), kNow);
  ASSERT_EQ(j.verdict, Verdict::done) << j.why;
  EXPECT_EQ(j.value.credentials.access_key_id, "ASIAEXAMPLE1234567890");
  EXPECT_EQ(j.value.credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(j.value.credentials.session_token, "IQoJb3JpZ2luX2VjEXAMPLE/+=");
  EXPECT_EQ(j.value.expires_at, kNow + 6 * 3600);
}

TEST(ImdsCredentials, ExpiredOnesAreFetchedAgain) {
  const Judged<RoleCredentials> j = judge_credentials(
      reply(200,
            credentials_json("\"ASIAEXAMPLE1234567890\"", "\"t\"", "\"2024-01-02T03:04:05Z\"")),
      kNow);
  EXPECT_EQ(j.verdict, Verdict::retry);
  EXPECT_EQ(j.why, "credentials expired at 2024-01-02T03:04:05Z");
}

TEST(ImdsCredentials, EveryBadFieldIsNamed) {
  const std::string id = "\"ASIAEXAMPLE1234567890\"";
  const std::string token = "\"t\"";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {credentials_json("\"asia-lower-case-key\""), "credentials without a valid AccessKeyId"},
      {credentials_json("12345678901234567890"), "credentials without a valid AccessKeyId"},
      {credentials_json(id, "\"tok\\r\\nX-Injected: 1\""), "credentials without a valid Token"},
      {credentials_json(id, "\"" + std::string(8193, 't') + "\""),
       "credentials without a valid Token"},
      {credentials_json(id, "null"), "credentials without a valid Token"},
      {credentials_json(id, token, "\"2024-13-02T09:04:05Z\""),
       "credentials without a valid Expiration"},
      {credentials_json(id, token, "\"2024-00-02T09:04:05Z\""),
       "credentials without a valid Expiration"},
      {credentials_json(id, token, "\"2024-01-02 09:04:05Z\""),
       "credentials without a valid Expiration"},
      {credentials_json(id, token, "\"2024-01-02T09:04:05+00:00\""),
       "credentials without a valid Expiration"},
      {credentials_json(id, token, "\"tomorrow\""), "credentials without a valid Expiration"},
      {credentials_json(id, token, "\"2024-01-02T09:04:05Z\"", "\"Failed\""),
       "credentials: Code \"Failed\""},
      {credentials_json(id, token, "\"2024-01-02T09:04:05Z\"", "7"), "credentials: Code \"7\""},
      {"[\"AccessKeyId\"]", "credentials: not a JSON object"},
      {credentials_json().substr(0, 100), "credentials: not a JSON object"},
      {"{\"AccessKeyId\": \"\xff\xfe\"}", "credentials: not a JSON object"},
  };
  for (const auto& [body, why] : cases) {
    const Judged<RoleCredentials> j = judge_credentials(reply(200, body), kNow);
    EXPECT_EQ(j.verdict, Verdict::retry) << body;
    EXPECT_EQ(j.why, why) << body;
  }
}

// A reply as deep or as long as a transfer keeps is refused without harm.
TEST(ImdsCredentials, DeepAndLongRepliesAreRefused) {
  EXPECT_EQ(judge_credentials(reply(200, std::string(kMaxAwsReply, '[')), kNow).why,
            "credentials: not a JSON object");
  std::string deep;
  for (size_t i = 0; deep.size() + 6 < kMaxAwsReply; ++i) deep += "{\"a\":";
  EXPECT_EQ(judge_credentials(reply(200, deep), kNow).verdict, Verdict::retry);
  EXPECT_EQ(judge_credentials(reply(404, ""), kNow).why, "HTTP 404: no credentials for the role");
}

// ---- EC2 ----

AwsMoves moves() {
  AwsMoves m;
  m.interface_id = "eni-0123456789abcdef0";
  m.private_addresses = {ip("198.18.0.10"), ip("198.18.0.11")};
  m.elastic_ips = {{"eipalloc-0123456789abcdef0", ip("198.18.0.10")},
                   {"eipalloc-15127270", ip("198.18.0.11")}};
  m.routes = {{"rtb-15127270", prefix("0.0.0.0/0")}, {"rtb-0abcdef0123456789", prefix("::/0")}};
  return m;
}

TEST(Ec2Calls, PrivateAddressesThenElasticIpsThenRoutes) {
  const std::string eni = "eni-0123456789abcdef0";
  const std::vector<Ec2Call> want = {
      {"AssignPrivateIpAddresses",
       {{"Action", "AssignPrivateIpAddresses"},
        {"NetworkInterfaceId", eni},
        {"AllowReassignment", "true"},
        {"PrivateIpAddress.1", "198.18.0.10"},
        {"PrivateIpAddress.2", "198.18.0.11"}},
       eni + " 198.18.0.10 198.18.0.11"},
      {"AssociateAddress",
       {{"Action", "AssociateAddress"},
        {"AllocationId", "eipalloc-0123456789abcdef0"},
        {"NetworkInterfaceId", eni},
        {"PrivateIpAddress", "198.18.0.10"},
        {"AllowReassociation", "true"}},
       "eipalloc-0123456789abcdef0 to " + eni + " 198.18.0.10"},
      {"AssociateAddress",
       {{"Action", "AssociateAddress"},
        {"AllocationId", "eipalloc-15127270"},
        {"NetworkInterfaceId", eni},
        {"PrivateIpAddress", "198.18.0.11"},
        {"AllowReassociation", "true"}},
       "eipalloc-15127270 to " + eni + " 198.18.0.11"},
      {"ReplaceRoute",
       {{"Action", "ReplaceRoute"},
        {"RouteTableId", "rtb-15127270"},
        {"DestinationCidrBlock", "0.0.0.0/0"},
        {"NetworkInterfaceId", eni}},
       "rtb-15127270 0.0.0.0/0 to " + eni},
      {"ReplaceRoute",
       {{"Action", "ReplaceRoute"},
        {"RouteTableId", "rtb-0abcdef0123456789"},
        {"DestinationIpv6CidrBlock", "::/0"},
        {"NetworkInterfaceId", eni}},
       "rtb-0abcdef0123456789 ::/0 to " + eni},
  };
  const std::vector<Ec2Call> calls = ec2_calls(moves());
  ASSERT_EQ(calls.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(calls[i].action, want[i].action) << i;
    EXPECT_EQ(calls[i].params, want[i].params) << i;
    EXPECT_EQ(calls[i].what, want[i].what) << i;
  }
}

// Zone HA: the Elastic IP moves to an address the appliance always has; nothing to assign.
TEST(Ec2Calls, NoPrivateAddressesNoAssignment) {
  AwsMoves m = moves();
  m.private_addresses.clear();
  m.routes.clear();
  const std::vector<Ec2Call> calls = ec2_calls(m);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].action, "AssociateAddress");
  EXPECT_EQ(calls[1].action, "AssociateAddress");
}

TEST(Ec2Calls, TheEndpointIsTheRegionsUnlessConfigured) {
  EXPECT_EQ(ec2_endpoint(std::nullopt, "eu-west-1"),
            (ServiceUrl{true, "ec2.eu-west-1.amazonaws.com"}));
  EXPECT_EQ(ec2_endpoint(ServiceUrl{false, "127.0.0.1:8080"}, "eu-west-1"),
            (ServiceUrl{false, "127.0.0.1:8080"}));
}

const Credentials kRole = {"ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                           "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN/+="};

// The call sigv4_test.cc's Ec2Call signs (its signature recomputed there with Python's hmac),
// made from the configuration's values: the same request, the same signature.
TEST(Ec2Requests, AreSignedFormPostsWithTheSessionToken) {
  AwsMoves m;
  m.interface_id = "eni-0123456789abcdef0";
  m.elastic_ips = {{"eipalloc-0123456789abcdef0", ip("198.18.1.5")}};
  const AwsRequest r = ec2_request(ec2_calls(m).at(0), ec2_endpoint(std::nullopt, "eu-west-1"),
                                   "eu-west-1", kRole, "20240102T030405Z");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://ec2.eu-west-1.amazonaws.com/");
  EXPECT_EQ(r.body,
            "Action=AssociateAddress&AllocationId=eipalloc-0123456789abcdef0&"
            "AllowReassociation=true&NetworkInterfaceId=eni-0123456789abcdef0&"
            "PrivateIpAddress=198.18.1.5&Version=2016-11-15");
  EXPECT_EQ(names(r.headers), (std::vector<std::string>{"Host", "Content-Type", "X-Amz-Date",
                                                        "X-Amz-Security-Token", "Authorization"}));
  EXPECT_EQ(header(r.headers, "Host"), "ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(header(r.headers, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(header(r.headers, "X-Amz-Security-Token"), kRole.session_token);
  EXPECT_EQ(header(r.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240102/eu-west-1/ec2/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=81b9a71a60cfd3d77bc8bcf5c624b61a34b633c9aced7c3e5a98b9d0647efd95");
}

// A configured endpoint (a VPC endpoint, the test stand-in) is signed with its own Host.
TEST(Ec2Requests, AConfiguredEndpointIsSignedWithItsHost) {
  const AwsRequest r = ec2_request(ec2_calls(moves()).at(0), {false, "127.0.0.1:8080"}, "eu-west-1",
                                   kRole, "20240102T030405Z");
  EXPECT_EQ(r.url, "http://127.0.0.1:8080/");
  EXPECT_EQ(header(r.headers, "Host"), "127.0.0.1:8080");
  EXPECT_NE(header(r.headers, "Authorization").find("SignedHeaders=content-type;host;"),
            std::string::npos);
}

TEST(AmzDate, IsBasicIso8601InUtc) {
  EXPECT_EQ(amz_date(0), "19700101T000000Z");
  EXPECT_EQ(amz_date(kNow), "20240102T030405Z");
}

// ---- EC2's replies ----

std::string error_xml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
         "</Code><Message>" + message +
         "</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID>"
         "</Response>";
}

const std::string kAssigned =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AssignPrivateIpAddressesResponse "
    "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>59dbff89-35bd-4eac-99ed-"
    "be587EXAMPLE</requestId><return>true</return></AssignPrivateIpAddressesResponse>";

// Replies and the reason each is judged with.
using Cases = std::vector<std::pair<AwsReply, std::string>>;

void expect_judged(const Cases& cases, Verdict verdict) {
  for (const auto& [r, why] : cases) {
    const Judgement j = judge_ec2(r);
    EXPECT_EQ(j.verdict, verdict) << why;
    EXPECT_EQ(j.why, why);
  }
}

TEST(Ec2Replies, SuccessIsA200ThatSaysSo) {
  EXPECT_EQ(judge_ec2(reply(200, kAssigned)).verdict, Verdict::done);
  const Judgement no = judge_ec2(reply(200, "<Response><return>false</return></Response>"));
  EXPECT_EQ(no.verdict, Verdict::retry);
  EXPECT_EQ(no.why, "HTTP 200 without <return>true</return>");
  EXPECT_EQ(judge_ec2(reply(200, kAssigned.substr(0, 200))).verdict, Verdict::retry);  // truncated
  AwsReply cut = reply(200, kAssigned);
  cut.cut = true;
  EXPECT_EQ(judge_ec2(cut).verdict, Verdict::retry);
}

TEST(Ec2Replies, ServerErrorsAndThrottlingAreRetried) {
  const Cases cases = {
      {reply(503, error_xml("Unavailable", "The server is overloaded")),
       "HTTP 503 Unavailable: The server is overloaded"},
      {reply(503, error_xml("RequestLimitExceeded", "Request limit exceeded.")),
       "HTTP 503 RequestLimitExceeded: Request limit exceeded."},
      {reply(400, error_xml("RequestLimitExceeded", "Request limit exceeded.")),
       "HTTP 400 RequestLimitExceeded: Request limit exceeded."},
      {reply(400, error_xml("Throttling", "Rate exceeded")), "HTTP 400 Throttling: Rate exceeded"},
      {reply(500, error_xml("InternalError", "An internal error has occurred")),
       "HTTP 500 InternalError: An internal error has occurred"},
      {reply(502, "<html>Bad Gateway</html>"), "HTTP 502"},
      {reply(504, ""), "HTTP 504"},
  };
  expect_judged(cases, Verdict::retry);
}

TEST(Ec2Replies, OtherClientErrorsAreGivenUpWithTheirCode) {
  const Cases cases = {
      {reply(400, error_xml("InvalidAllocationID.NotFound",
                            "The allocation ID &apos;eipalloc-0123456789abcdef0&apos; does not "
                            "exist")),
       "HTTP 400 InvalidAllocationID.NotFound: The allocation ID 'eipalloc-0123456789abcdef0' "
       "does not exist"},
      {reply(403, error_xml("UnauthorizedOperation",
                            "You are not authorized to perform this operation.")),
       "HTTP 403 UnauthorizedOperation: You are not authorized to perform this operation."},
      {reply(401, error_xml("AuthFailure",
                            "AWS was not able to validate the provided access "
                            "credentials")),
       "HTTP 401 AuthFailure: AWS was not able to validate the provided access credentials"},
      {reply(400, error_xml("InvalidParameterValue", "a &lt;b&gt; &amp; &quot;c&quot; &#39;")),
       "HTTP 400 InvalidParameterValue: a <b> & \"c\" &#39;"},
      {reply(301, ""), "HTTP 301"},
  };
  expect_judged(cases, Verdict::give_up);
}

// What the reply says is bounded and escaped before it reaches a log line; markup where text
// belongs, or a code that is no code, is not taken for one (so cannot ask for a retry).
TEST(Ec2Replies, HostileErrorsAreBoundedAndEscaped) {
  EXPECT_EQ(judge_ec2(reply(400, error_xml("Throttling<x/>", "m"))).why, "HTTP 400: m");
  EXPECT_EQ(judge_ec2(reply(400, error_xml("Throttling<x/>", "m"))).verdict, Verdict::give_up);
  EXPECT_EQ(judge_ec2(reply(400, error_xml("Throttling Now", "m"))).why, "HTTP 400: m");
  EXPECT_EQ(judge_ec2(reply(400, error_xml(std::string(65, 'A'), "m"))).why, "HTTP 400: m");
  EXPECT_EQ(judge_ec2(reply(400, error_xml("Bad", "line\nX-Injected: 1\x1b[31m"))).why,
            "HTTP 400 Bad: line\\x0aX-Injected: 1\\x1b[31m");
  EXPECT_EQ(judge_ec2(reply(400, error_xml("Bad", std::string(1025, 'm')))).why, "HTTP 400 Bad");
  const std::string shown = judge_ec2(reply(400, error_xml("Bad", std::string(1000, 'm')))).why;
  EXPECT_EQ(shown, "HTTP 400 Bad: " + std::string(200, 'm') + "...");
  EXPECT_EQ(judge_ec2(reply(400, "<Response><Errors><Error><Code>Unavail")).why, "HTTP 400");
  std::string opens;
  while (opens.size() + 6 <= kMaxAwsReply) opens += "<Code>";
  EXPECT_EQ(judge_ec2(reply(400, opens)).why, "HTTP 400");
  EXPECT_EQ(judge_ec2(reply(503, opens)).verdict, Verdict::retry);
}

}  // namespace
}  // namespace sluice::control::ha
