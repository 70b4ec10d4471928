// FrameRequest on its own: what the connection guard hands Pistache, and what it refuses,
// for the byte sequences a client can send.
#include "http/request_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace stratrun::http {
namespace {

using Pistache::Http::Code;
using State = Framed::State;

constexpr size_t kMax = 64 * 1024;

TEST(RequestFramingTest, ASimpleGetIsCompleteAndKeepsTheConnection) {
  const std::string bytes = "GET /api/health HTTP/1.1\r\nX-Trace: 7\r\n\r\n";
  Framed f = FrameRequest(bytes, kMax);
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.length, bytes.size());
  EXPECT_FALSE(f.close);
  EXPECT_FALSE(f.stream);
  EXPECT_EQ(f.forwarded, "GET /api/health HTTP/1.1\r\nX-Trace: 7\r\n\r\n");
}

TEST(RequestFramingTest, AHeadOrBodyNotYetReceivedIsIncomplete) {
  EXPECT_EQ(FrameRequest("GET / HTTP/1.1\r\nX-Trace: 7\r\n", kMax).state, State::kIncomplete);
  EXPECT_EQ(FrameRequest("POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"a\":", kMax).state,
            State::kIncomplete);
}

TEST(RequestFramingTest, PipelinedRequestsAreFramedOneAtATimeInOrder) {
  const std::string first = "POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
  const std::string second = "GET /api/strategies/queue HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string bytes = first + second;

  Framed a = FrameRequest(bytes, kMax);
  ASSERT_EQ(a.state, State::kComplete);
  EXPECT_EQ(a.length, first.size());
  EXPECT_EQ(a.forwarded, "POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_FALSE(a.close);

  Framed b = FrameRequest(std::string_view(bytes).substr(a.length), kMax);
  ASSERT_EQ(b.state, State::kComplete);
  EXPECT_EQ(b.length, second.size());
  EXPECT_TRUE(b.close);
  EXPECT_EQ(b.forwarded.rfind("GET /api/strategies/queue HTTP/1.1\r\n", 0), 0u);
}

TEST(RequestFramingTest, ANegativeContentLengthIsRefusedAs400) {
  Framed f = FrameRequest("POST /api/strategies/execute HTTP/1.1\r\nContent-Length: -5\r\n\r\n", kMax);
  ASSERT_EQ(f.state, State::kRefused);
  EXPECT_EQ(f.code, Code::Bad_Request);
  EXPECT_EQ(f.error_code, "invalid_argument");
  EXPECT_EQ(f.field, "Content-Length");
  EXPECT_NE(f.message.find("-5"), std::string::npos) << f.message;
}

TEST(RequestFramingTest, AContentLengthOfTwoToThe64IsRefusedAs413) {
  Framed f = FrameRequest("POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", kMax);
  ASSERT_EQ(f.state, State::kRefused);
  EXPECT_EQ(f.code, Code::Request_Entity_Too_Large);
  EXPECT_EQ(f.error_code, "request_too_large");
  EXPECT_EQ(f.field, "Content-Length");
}

TEST(RequestFramingTest, ABodyOverTheLimitIsRefusedBeforeItArrives) {
  Framed f = FrameRequest("POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 65530\r\n\r\n", kMax);
  ASSERT_EQ(f.state, State::kRefused);
  EXPECT_EQ(f.code, Code::Request_Entity_Too_Large);
  EXPECT_EQ(f.error_code, "request_too_large");
}

TEST(RequestFramingTest, ConflictingContentLengthsAreRefusedAndEqualOnesNormalised) {
  Framed f = FrameRequest("POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", kMax);
  ASSERT_EQ(f.state, State::kRefused);
  EXPECT_EQ(f.code, Code::Bad_Request);
  EXPECT_EQ(f.message, "conflicting Content-Length headers");

  Framed same = FrameRequest("POST /x HTTP/1.1\r\nContent-Length: 002\r\ncontent-length: 2\r\n\r\n{}", kMax);
  ASSERT_EQ(same.state, State::kComplete);
  EXPECT_EQ(same.forwarded, "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(RequestFramingTest, TransferEncodingIsRefusedAs411) {
  Framed f = FrameRequest("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", kMax);
  ASSERT_EQ(f.state, State::kRefused);
  EXPECT_EQ(f.code, Code::Length_Required);
  EXPECT_EQ(f.error_code, "length_required");
  EXPECT_EQ(f.field, "Transfer-Encoding");
}

TEST(RequestFramingTest, Http10ClosesUnlessKeepAliveIsAskedFor) {
  Framed plain = FrameRequest("GET / HTTP/1.0\r\n\r\n", kMax);
  ASSERT_EQ(plain.state, State::kComplete);
  EXPECT_TRUE(plain.close);

  Framed keep = FrameRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", kMax);
  ASSERT_EQ(keep.state, State::kComplete);
  EXPECT_FALSE(keep.close);

  Framed close11 = FrameRequest("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", kMax);
  ASSERT_EQ(close11.state, State::kComplete);
  EXPECT_TRUE(close11.close);
}

TEST(RequestFramingTest, AMalformedRequestLineIsRefused) {
  for (const char* bytes : {"GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 extra\r\n\r\n",
                            "GET http://example.com/ HTTP/1.1\r\n\r\n", "GET /a#b HTTP/1.1\r\n\r\n"}) {
    Framed f = FrameRequest(bytes, kMax);
    ASSERT_EQ(f.state, State::kRefused) << bytes;
    EXPECT_EQ(f.code, Code::Bad_Request) << bytes;
    EXPECT_EQ(f.error_code, "bad_request") << bytes;
  }
  Framed method = FrameRequest("BREW /pot HTTP/1.1\r\n\r\n", kMax);
  ASSERT_EQ(method.state, State::kRefused);
  EXPECT_EQ(method.code, Code::Not_Implemented);
  Framed version = FrameRequest("GET / HTTP/2.0\r\n\r\n", kMax);
  ASSERT_EQ(version.state, State::kRefused);
  EXPECT_EQ(version.code, Code::HTTP_Version_Not_Supported);
}

TEST(RequestFramingTest, MalformedHeaderLinesAreRefused) {
  for (const char* bytes : {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
                            "GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n"}) {
    Framed f = FrameRequest(bytes, kMax);
    ASSERT_EQ(f.state, State::kRefused) << bytes;
    EXPECT_EQ(f.code, Code::Bad_Request) << bytes;
  }
}

TEST(RequestFramingTest, AHeadOver16KiBIsRefusedAs431WithOrWithoutItsEnd) {
  const std::string big = "GET / HTTP/1.1\r\nX-Pad: " + std::string(17 * 1024, 'a');
  Framed unfinished = FrameRequest(big, kMax);
  ASSERT_EQ(unfinished.state, State::kRefused);
  EXPECT_EQ(unfinished.code, Code::Request_Header_Fields_Too_Large);
  EXPECT_EQ(unfinished.error_code, "request_too_large");

  Framed finished = FrameRequest(big + "\r\n\r\n", kMax);
  ASSERT_EQ(finished.state, State::kRefused);
  EXPECT_EQ(finished.code, Code::Request_Header_Fields_Too_Large);
}

TEST(RequestFramingTest, OnlyGetsOfTheSseEndpointsAreStreams) {
  EXPECT_TRUE(FrameRequest("GET /api/events HTTP/1.1\r\n\r\n", kMax).stream);
  EXPECT_TRUE(FrameRequest("GET /api/strategies/sse/abc?last_event_id=3 HTTP/1.1\r\n\r\n", kMax).stream);
  EXPECT_FALSE(FrameRequest("POST /api/events HTTP/1.1\r\n\r\n", kMax).stream);
  EXPECT_FALSE(FrameRequest("GET /api/events/x HTTP/1.1\r\n\r\n", kMax).stream);
}

TEST(RequestFramingTest, TypedHeadersAndCookiesAreNotHandedOn) {
  Framed f = FrameRequest(
      "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=b\r\nLast-Event-ID: 4\r\nUser-Agent: test\r\n\r\n", kMax);
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.forwarded, "GET / HTTP/1.1\r\nLast-Event-ID: 4\r\n\r\n");
}

}  // namespace
}  // namespace stratrun::http
