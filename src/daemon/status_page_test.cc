#include "daemon/status_page.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace ipvsd::daemon {
namespace {

using nlohmann::json;

net::IpAddr Addr(const char* text) { return *net::IpAddr::Parse(text); }

TrafficCounters Traffic(uint64_t base) {
  return {.conns = base + 1, .inpkts = base + 2, .outpkts = base + 3, .inbytes = base + 4, .outbytes = base + 5,
          .cps = base + 6, .inpps = base + 7, .outpps = base + 8, .inbps = base + 9, .outbps = base + 10};
}

WorkerView Worker(uint32_t id, uint64_t no_service_drops) {
  return {.id = id, .queues = "d0 queue " + std::to_string(id), .connections = 10 + id, .connection_capacity = 4096,
          .rx = 100, .tx = 90, .passed = 5, .icmp_sent = 1, .resets_sent = 2, .checksums_completed = 3,
          .handed_off = 4, .handed_in = 6, .drops = {{"bad_checksum", 0}, {"no_service", no_service_drops}}};
}

// Two services: an IPv4 one with an up and a removed (down) real server, and an IPv6 fwmark
// one whose name and scheduler need escaping, with an inhibited IPv6 real server.
Observation SampleObservation() {
  Observation o;
  o.version = "1.2.3";
  o.start_time = 1000;
  o.now = 1000 + 2 * 3600 + 3 * 60 + 4;
  o.totals = Traffic(1000);
  o.workers = {Worker(0, 3), Worker(1, 4)};
  o.backend = {.io = "AF_PACKET fanout", .counters = {{"ring_full", 2}}};
  o.sync = {.master = true, .master_counters = {{"messages_sent", 5}}};
  o.control = {.requests = {{"AddService", 2}, {"AddDest", 3}}, .errors = {}};

  ServiceView web{.proto = "TCP", .addr = Addr("198.19.0.1"), .port = 80, .name = "TCP 198.19.0.1:80",
                  .scheduler = "wlc", .persistent = true, .persistence_timeout = 300, .traffic = Traffic(100),
                  .cps_history = {0, 10, 5, 20}};
  web.real_servers.push_back({.addr = Addr("10.0.0.1"), .port = 8080, .forward = "Masq", .weight = 3, .state = "up",
                              .active = 4, .inactive = 5, .persistent = 1, .traffic = Traffic(200)});
  web.real_servers.push_back({.addr = Addr("10.0.0.2"), .port = 8080, .forward = "Masq", .weight = 1,
                              .state = "down", .in_table = false, .traffic = Traffic(300)});
  ServiceView marked{.fwmark = 5, .family = net::Family::kInet6, .proto = "FWM", .name = "FWM 5 <a&b>",
                     .scheduler = "rr<&", .traffic = Traffic(400)};
  marked.real_servers.push_back({.addr = Addr("2001:db8::10"), .port = 443, .forward = "Route", .weight = 0,
                                 .state = "inhibited", .active = 7, .inactive = 8, .traffic = Traffic(500)});
  o.services = {web, marked};
  return o;
}

TEST(StatusPageTest, RealServerRowFollowsTheDomContract) {
  const std::string page = StatusPageHtml(SampleObservation());
  EXPECT_NE(page.find("<tr class=\"rs\" data-rs=\"10.0.0.1:8080\"><td class=\"address\">10.0.0.1:8080</td>"
                      "<td class=\"forward\">Masq</td><td class=\"state\" data-state=\"up\">up</td>"
                      "<td class=\"weight\">3</td><td class=\"active\">4</td><td class=\"inactive\">5</td>"
                      "<td class=\"cps\">206</td><td class=\"inpps\">207</td><td class=\"outpps\">208</td>"
                      "<td class=\"inbps\">209</td><td class=\"outbps\">210</td><td class=\"conns\">201</td>"
                      "<td class=\"inpkts\">202</td><td class=\"outpkts\">203</td><td class=\"inbytes\">204</td>"
                      "<td class=\"outbytes\">205</td></tr>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<tr class=\"rs\" data-rs=\"10.0.0.2:8080\">"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"state\" data-state=\"down\">down</td>"), std::string::npos);
}

TEST(StatusPageTest, Ipv6RealServerInBrackets) {
  const std::string page = StatusPageHtml(SampleObservation());
  EXPECT_NE(page.find("<tr class=\"rs\" data-rs=\"[2001:db8::10]:443\"><td class=\"address\">[2001:db8::10]:443</td>"
                      "<td class=\"forward\">Route</td><td class=\"state\" data-state=\"inhibited\">inhibited</td>"
                      "<td class=\"weight\">0</td>"),
            std::string::npos)
      << page;
}

TEST(StatusPageTest, ServiceTableCaptionSummaryAndGraph) {
  const std::string page = StatusPageHtml(SampleObservation());
  EXPECT_NE(page.find("<table class=\"service\" data-service=\"TCP 198.19.0.1:80\"><caption>TCP 198.19.0.1:80 "
                      "<span class=\"sched\">wlc</span> <span class=\"persistence\">persistent 300 s</span></caption>"),
            std::string::npos)
      << page;
  // Its own traffic, and its real servers' connections.
  EXPECT_NE(page.find("<tfoot><tr class=\"summary\"><td class=\"address\">service</td><td class=\"forward\"></td>"
                      "<td class=\"state\"></td><td class=\"weight\"></td><td class=\"active\">4</td>"
                      "<td class=\"inactive\">5</td><td class=\"cps\">106</td>"),
            std::string::npos);
  // The newest point at the right edge, the max at the top of the plot.
  EXPECT_NE(page.find("<polyline points=\"292,58 294,36 296,47 298,14\"/>"), std::string::npos);
  EXPECT_NE(page.find("<text class=\"max\" x=\"296\" y=\"10\" text-anchor=\"end\">max 20</text>"), std::string::npos);
}

TEST(StatusPageTest, EscapesTextFromTheModel) {
  const std::string page = StatusPageHtml(SampleObservation());
  EXPECT_NE(page.find("<table class=\"service\" data-service=\"FWM 5 &lt;a&amp;b&gt;\"><caption>FWM 5 &lt;a&amp;b&gt; "
                      "<span class=\"sched\">rr&lt;&amp;</span></caption>"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("<a&b>"), std::string::npos);
  EXPECT_EQ(page.find("rr<&"), std::string::npos);
}

TEST(StatusPageTest, Overview) {
  Observation o = SampleObservation();
  std::string page = StatusPageHtml(o);
  EXPECT_NE(page.find("<td class=\"version\">1.2.3</td>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"uptime\">2h 3m 4s</td>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"io\">AF_PACKET fanout</td>"), std::string::npos);
  EXPECT_NE(page.find("<table class=\"totals\">"), std::string::npos);
  EXPECT_NE(page.find("<tr data-worker=\"1\"><td class=\"id\">1</td><td class=\"queues\">d0 queue 1</td>"
                      "<td class=\"connections\">11</td>"),
            std::string::npos);
  // Summed over the workers, the zero reasons left out.
  EXPECT_NE(page.find("<table class=\"counts\" data-counts=\"drops\"><caption>Drops</caption><tbody>"
                      "<tr><th>no_service</th><td>7</td></tr></tbody></table>"),
            std::string::npos);
  EXPECT_NE(page.find("data-counts=\"sync-master\""), std::string::npos);
  EXPECT_EQ(page.find("data-counts=\"sync-backup\""), std::string::npos);
  EXPECT_NE(page.find("<tr><th>AddDest</th><td>3</td></tr>"), std::string::npos);
  EXPECT_NE(page.find("<caption>Control errors</caption><tbody><tr><td class=\"none\" colspan=\"2\">none</td></tr>"),
            std::string::npos);

  o.workers = {Worker(0, 0)};
  o.sync = {};
  o.now = o.start_time + 86400 + 5;
  page = StatusPageHtml(o);
  EXPECT_NE(page.find("<caption>Drops</caption><tbody><tr><td class=\"none\" colspan=\"2\">none</td></tr>"),
            std::string::npos);
  EXPECT_EQ(page.find("data-counts=\"sync-"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"uptime\">1d 0h 0m 5s</td>"), std::string::npos);
}

TEST(StatusPageTest, RefreshesWithAndWithoutScript) {
  const std::string page = StatusPageHtml(SampleObservation());
  EXPECT_NE(page.find("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>"), std::string::npos);
  EXPECT_NE(page.find("fetch('?format=json'"), std::string::npos);
  EXPECT_NE(page.find("setTimeout(refresh, 2000)"), std::string::npos);
  EXPECT_NE(page.find("<span id=\"updated\">updated 02:19:44 UTC</span>"), std::string::npos);
}

TEST(StatusPageTest, LoadsNothingFromElsewhere) {
  const std::string page = StatusPageHtml(SampleObservation());
  for (const char* external : {"http://", "https://", "src=", "href=", "<link", "@import", "url("}) {
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  }
}

TEST(StatusPageTest, EmptyDirector) {
  const std::string page = StatusPageHtml(Observation{});
  EXPECT_NE(page.find("<div id=\"services\"><p class=\"none\">no virtual services</p></div>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"io\">none (control plane only)</td>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"none\" colspan=\"20\">none</td>"), std::string::npos);  // no workers
  const json j = json::parse(StatusPageJson(Observation{}));
  EXPECT_EQ(j["services"], json::array());
  EXPECT_EQ(j["drops"], json::object());
}

TEST(StatusPageTest, Json) {
  const json j = json::parse(StatusPageJson(SampleObservation()));
  EXPECT_EQ(j["version"], "1.2.3");
  EXPECT_EQ(j["start_time"], 1000.0);
  EXPECT_EQ(j["now"], 8384.0);
  EXPECT_EQ(j["uptime_seconds"], 7384);
  EXPECT_EQ(j["totals"], (json{{"conns", 1001}, {"inpkts", 1002}, {"outpkts", 1003}, {"inbytes", 1004},
                               {"outbytes", 1005}, {"cps", 1006}, {"inpps", 1007}, {"outpps", 1008},
                               {"inbps", 1009}, {"outbps", 1010}}));
  EXPECT_EQ(j["io"], "AF_PACKET fanout");
  EXPECT_EQ(j["backend"], (json{{"ring_full", 2}}));
  ASSERT_EQ(j["workers"].size(), 2u);
  EXPECT_EQ(j["workers"][1], (json{{"id", 1}, {"queues", "d0 queue 1"}, {"connections", 11},
                                   {"connection_capacity", 4096}, {"rx", 100}, {"tx", 90}, {"passed", 5},
                                   {"icmp_sent", 1}, {"resets_sent", 2}, {"checksums_completed", 3},
                                   {"handed_off", 4}, {"handed_in", 6}, {"entries_dropped", 0}, {"table_short", 0},
                                   {"syn_cookies_sent", 0}, {"synproxy_opened", 0}, {"flows_offloaded", 0},
                                   {"flows_withdrawn", 0}, {"offloaded_packets", 0},
                                   {"drops", {{"bad_checksum", 0}, {"no_service", 4}}}}));
  EXPECT_EQ(j["drops"], (json{{"bad_checksum", 0}, {"no_service", 7}}));
  EXPECT_EQ(j["sync"], (json{{"master", true}, {"backup", false}, {"master_counters", {{"messages_sent", 5}}},
                             {"backup_counters", json::object()}}));
  EXPECT_EQ(j["control"], (json{{"requests", {{"AddService", 2}, {"AddDest", 3}}}, {"errors", json::object()}}));

  ASSERT_EQ(j["services"].size(), 2u);
  const json& web = j["services"][0];
  EXPECT_EQ(web["name"], "TCP 198.19.0.1:80");
  EXPECT_EQ(web["proto"], "TCP");
  EXPECT_EQ(web["family"], "ipv4");
  EXPECT_EQ(web["address"], "198.19.0.1");
  EXPECT_EQ(web["port"], 80);
  EXPECT_EQ(web["fwmark"], 0);
  EXPECT_EQ(web["scheduler"], "wlc");
  EXPECT_EQ(web["persistent"], true);
  EXPECT_EQ(web["persistence_timeout"], 300);
  EXPECT_EQ(web["traffic"]["conns"], 101);
  EXPECT_EQ(web["cps_history"], (json{0, 10, 5, 20}));
  ASSERT_EQ(web["real_servers"].size(), 2u);
  EXPECT_EQ(web["real_servers"][0],
            (json{{"address", "10.0.0.1"}, {"port", 8080}, {"forward", "Masq"}, {"state", "up"}, {"weight", 3},
                  {"active", 4}, {"inactive", 5}, {"persistent", 1}, {"in_table", true},
                  {"traffic", json::parse(R"({"conns": 201, "inpkts": 202, "outpkts": 203, "inbytes": 204,
                      "outbytes": 205, "cps": 206, "inpps": 207, "outpps": 208, "inbps": 209, "outbps": 210})")}}));
  EXPECT_EQ(web["real_servers"][1]["state"], "down");
  EXPECT_EQ(web["real_servers"][1]["in_table"], false);

  const json& marked = j["services"][1];
  EXPECT_EQ(marked["name"], "FWM 5 <a&b>");
  EXPECT_EQ(marked["family"], "ipv6");
  EXPECT_EQ(marked["fwmark"], 5);
  EXPECT_TRUE(marked["address"].is_null());
  EXPECT_TRUE(marked["port"].is_null());
  EXPECT_EQ(marked["persistent"], false);
  EXPECT_EQ(marked["cps_history"], json::array());
  EXPECT_EQ(marked["real_servers"][0]["address"], "2001:db8::10");
  EXPECT_EQ(marked["real_servers"][0]["state"], "inhibited");
}

// The page's script, run by node against the page's own JSON, must produce exactly the
// markup the server rendered.
constexpr const char* kScriptHarness = R"(
const fs = require('fs');
const page = fs.readFileSync(process.argv[2], 'utf8');
const data = fs.readFileSync(process.argv[3], 'utf8');
const between = (start, end) => {
  const from = page.indexOf(start) + start.length;
  return page.slice(from, page.indexOf(end, from));
};
const elements = {overview: {innerHTML: ''}, services: {innerHTML: ''}, updated: {textContent: '', className: ''}};
const timers = [];
globalThis.document = {getElementById: id => elements[id]};
globalThis.setTimeout = (f, ms) => timers.push([f, ms]);
globalThis.fetch = async url => ({ok: url === '?format=json', status: 404, json: async () => JSON.parse(data)});
new Function(between('<script>', '</script>'))();
(async () => {
  const [refresh, ms] = timers.shift();
  await refresh();
  const report = {
    interval: ms,
    updated: /^updated \d\d:\d\d:\d\d$/.test(elements.updated.textContent),
    overview: elements.overview.innerHTML === between('<div id="overview">', '</div>') || elements.overview.innerHTML,
    services: elements.services.innerHTML === between('<div id="services">', '</div>') || elements.services.innerHTML,
  };
  console.log(JSON.stringify(report));
})();
)";

TEST(StatusPageTest, ScriptRendersTheSameMarkup) {
  if (std::system("command -v node >/dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  const std::string prefix = ::testing::TempDir() + "status_page_" + std::to_string(getpid());
  const std::string harness = prefix + ".js";
  const std::string page = prefix + ".html";
  const std::string data = prefix + ".json";
  const Observation o = SampleObservation();
  std::ofstream(harness) << kScriptHarness;
  std::ofstream(page) << StatusPageHtml(o);
  std::ofstream(data) << StatusPageJson(o);

  FILE* node = popen(("node " + harness + " " + page + " " + data + " 2>&1").c_str(), "r");
  ASSERT_NE(node, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, node)) output.append(buffer, n);
  const int status = pclose(node);
  for (const std::string& file : {harness, page, data}) std::remove(file.c_str());
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(json::parse(output),
            (json{{"interval", 2000}, {"updated", true}, {"overview", true}, {"services", true}}));
}

}  // namespace
}  // namespace ipvsd::daemon
