// File: health/config_test.cc
//
// The keepalived.conf subset: every directive lands where it should, defaults and
// inheritance are keepalived's, and each kind of mistake is reported with file:line.
#include "health/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "net/headers.h"

namespace ipvsd::health {
namespace {

constexpr const char* kFull = R"(! a comment
global_defs {
   router_id LVS_A
}
vrrp_instance VI_1 {
    state MASTER
    virtual_ipaddress {
        198.19.0.1
    }
}
virtual_server_group web {
    198.19.0.1 80
    198.19.0.10-12 80
    fwmark 7
}
virtual_server 198.19.0.1 443 {    # the plain form
    delay_loop 3
    lb_algo wlc
    lb_kind NAT
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    protocol UDP
    alpha
    omega
    quorum 3
    hysteresis 1
    inhibit_on_failure
    ops
    sh-port
    sorry_server 198.18.1.99 443
    connect_timeout 4
    retry 5
    delay_before_retry 2
    real_server 198.18.1.11 443 {
        weight 7
        uthreshold 100
        lthreshold 10
        TCP_CHECK {
            connect_port 4443
            connect_ip 198.18.1.111
        }
        HTTP_GET {
            url {
                path /health
                digest 0123456789ABCDEF0123456789abcdef
                status_code 200 300-302
            }
            url {
                path /
            }
            virtualhost www.example
            nb_get_retry 2
            delay_loop 9
        }
        MISC_CHECK {
            misc_path "/bin/check --fast"
            misc_timeout 3
            misc_dynamic
        }
    }
    real_server 198.18.1.12 443 {
        lvs_method DR
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    dynamic_feedback {
        agent_port 9999
        interval 3
        timeout 1.5
        adjust 4
        scale 5
        target 0.9
        deadband 0.02
        smoothing 0.7
        cpu 0.4
        runq 0.4
        memory 0.1
        connections 0.1
        max_connections 200
    }
}
virtual_server group web {
    lvs_sched rr
    lvs_method TUN
    real_server 198.18.1.13 80 {
    }
}
virtual_server fwmark 9 {
    real_server 198.18.1.14 0 {
        TCP_CHECK {
        }
    }
}
)";

TEST(ParseConfig, EveryDirective) {
  auto cfg = ParseConfigText(kFull, "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->virtual_servers.size(), 3u);
  EXPECT_EQ(cfg->notices.size(), 2u);
  EXPECT_EQ(cfg->notices[0], "k.conf:2: global_defs: reading script_user and enable_script_security, skipping the "
                             "rest (keepalived's other parts)");

  const VirtualServerConfig& vs = cfg->virtual_servers[0];
  EXPECT_EQ(vs.name, "198.19.0.1:443/UDP");
  EXPECT_EQ(vs.where, "k.conf:16");
  ASSERT_EQ(vs.keys.size(), 1u);
  EXPECT_EQ(vs.keys[0].protocol, net::kProtoUdp);
  EXPECT_EQ(vs.keys[0].port, 443);
  EXPECT_EQ(vs.service.sched_name, "wlc");
  EXPECT_EQ(vs.service.flags, ctl::kSvcPersistent | ctl::kSvcOnePacket | ctl::kSvcSched2);
  EXPECT_EQ(vs.service.timeout, 600u);
  EXPECT_EQ(vs.service.netmask, 0xffffff00u);
  EXPECT_EQ(vs.fwd.method, ctl::Fwd::kMasq);
  EXPECT_DOUBLE_EQ(vs.delay_loop, 3);
  EXPECT_TRUE(vs.alpha);
  EXPECT_TRUE(vs.omega);
  EXPECT_EQ(vs.quorum, 3);
  EXPECT_EQ(vs.hysteresis, 1);
  EXPECT_TRUE(vs.inhibit_on_failure);
  ASSERT_TRUE(vs.sorry_server.has_value());
  EXPECT_EQ(vs.sorry_server->Name(), "198.18.1.99:443");

  ASSERT_EQ(vs.real_servers.size(), 2u);
  const RealServerConfig& rs = vs.real_servers[0];
  EXPECT_EQ(rs.weight, 7);
  EXPECT_EQ(rs.u_threshold, 100u);
  EXPECT_EQ(rs.l_threshold, 10u);
  EXPECT_TRUE(rs.inhibit_on_failure);  // inherited
  EXPECT_EQ(rs.fwd.method, ctl::Fwd::kMasq);
  ASSERT_EQ(rs.checkers.size(), 3u);
  const CheckerConfig& tcp = rs.checkers[0];
  EXPECT_EQ(tcp.kind, CheckerKind::kTcp);
  EXPECT_EQ(tcp.connect_port, 4443);
  EXPECT_EQ(tcp.connect_ip->ToString(), "198.18.1.111");
  EXPECT_DOUBLE_EQ(tcp.connect_timeout, 4);  // from the virtual_server
  EXPECT_EQ(tcp.retry, 5);
  EXPECT_DOUBLE_EQ(tcp.delay_before_retry, 2);
  EXPECT_DOUBLE_EQ(tcp.delay_loop, 3);
  const CheckerConfig& http = rs.checkers[1];
  EXPECT_EQ(http.kind, CheckerKind::kHttp);
  ASSERT_EQ(http.urls.size(), 2u);
  EXPECT_EQ(http.urls[0].path, "/health");
  EXPECT_EQ(http.urls[0].digest, "0123456789abcdef0123456789abcdef");
  const std::vector<std::pair<int, int>> want_statuses = {{200, 200}, {300, 302}};
  EXPECT_EQ(http.urls[0].statuses, want_statuses);
  EXPECT_TRUE(http.urls[1].statuses.empty());
  EXPECT_EQ(http.virtualhost, "www.example");
  EXPECT_EQ(http.retry, 2);
  EXPECT_DOUBLE_EQ(http.delay_loop, 9);
  const CheckerConfig& misc = rs.checkers[2];
  EXPECT_EQ(misc.misc_path, "/bin/check --fast");
  EXPECT_DOUBLE_EQ(misc.misc_timeout, 3);
  EXPECT_TRUE(misc.misc_dynamic);
  EXPECT_EQ(misc.retry, 5);  // retry given on the virtual_server applies to MISC_CHECK too
  EXPECT_EQ(vs.real_servers[1].fwd.method, ctl::Fwd::kRoute);
  EXPECT_EQ(vs.real_servers[1].weight, 1);

  const FeedbackConfig& f = vs.feedback;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.agent_port, 9999);
  EXPECT_DOUBLE_EQ(f.interval, 3);
  EXPECT_DOUBLE_EQ(f.timeout, 1.5);
  EXPECT_DOUBLE_EQ(f.adjust, 4);
  EXPECT_DOUBLE_EQ(f.scale, 5);
  EXPECT_DOUBLE_EQ(f.target, 0.9);
  EXPECT_DOUBLE_EQ(f.deadband, 0.02);
  EXPECT_DOUBLE_EQ(f.smoothing, 0.7);
  EXPECT_DOUBLE_EQ(f.ratio_runq, 0.4);
  EXPECT_DOUBLE_EQ(f.max_conns, 200);

  const VirtualServerConfig& group = cfg->virtual_servers[1];
  EXPECT_EQ(group.name, "group web");
  ASSERT_EQ(group.keys.size(), 5u);  // .1, .10, .11, .12 and fwmark 7
  const net::IpAddr twelve{group.keys[3].addr, group.keys[3].family};
  EXPECT_EQ(twelve.ToString(), "198.19.0.12");
  EXPECT_EQ(group.keys[3].protocol, net::kProtoTcp);
  EXPECT_EQ(group.keys[4].fwmark, 7u);
  EXPECT_EQ(group.service.sched_name, "rr");
  EXPECT_EQ(group.real_servers[0].fwd.method, ctl::Fwd::kTunnel);
  EXPECT_FALSE(group.feedback.enabled);

  const VirtualServerConfig& mark = cfg->virtual_servers[2];
  EXPECT_EQ(mark.keys[0].fwmark, 9u);
  // keepalived's defaults.
  const CheckerConfig& def = mark.real_servers[0].checkers[0];
  EXPECT_DOUBLE_EQ(def.delay_loop, 60);
  EXPECT_DOUBLE_EQ(def.connect_timeout, 5);
  EXPECT_EQ(def.retry, 1);
  EXPECT_DOUBLE_EQ(def.delay_before_retry, 1);
  EXPECT_EQ(mark.quorum, 1);
  EXPECT_EQ(mark.service.sched_name, "wlc");
}

// keepalived 2.2.7's virtual_server `weight`: the weight of its real servers that give none
// (check_parser.c vs_end_handler); weights go up to 2^31-1 there, as in ipvsd.
TEST(ParseConfig, AVirtualServersWeightIsItsRealServersDefault) {
  auto cfg = ParseConfigText("virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n }\n"
                             " real_server 198.18.1.2 80 {\n  weight 2147483647\n }\n weight 7\n}\n"
                             "virtual_server 198.19.0.2 80 {\n real_server 198.18.1.1 80 {\n }\n}\n",
                             "w.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].weight, 7);
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[1].weight, 2147483647);
  EXPECT_EQ(cfg->virtual_servers[1].real_servers[0].weight, 1);
}

TEST(ParseConfig, PersistenceTimeoutWithoutValueIs360AndMiscRetryDefaultsToZero) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n persistence_timeout\n real_server 198.18.1.1 80 {\n"
      "  MISC_CHECK {\n   misc_path /bin/true\n  }\n }\n}\n",
      "p.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->virtual_servers[0].service.timeout, 360u);
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].checkers[0].retry, 0);
}

// keepalived's default is NAT; its TUN options reach the real server as ipvsadm's --tun-*.
TEST(ParseConfig, ForwardingDefaultsToNatAndTunKeepsItsTypePortAndChecksum) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n }\n"
      " real_server 198.18.1.2 80 {\n  lvs_method TUN type gue port 6080 remcsum\n }\n"
      " real_server 198.18.1.3 80 {\n  lb_kind TUN type gre csum\n }\n"
      " real_server 198.18.1.4 80 {\n  lb_kind TUN\n }\n}\n",
      "f.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const auto& rs = cfg->virtual_servers[0].real_servers;
  EXPECT_EQ(cfg->virtual_servers[0].fwd, Forwarding{});
  EXPECT_EQ(rs[0].fwd, (Forwarding{ctl::Fwd::kMasq, ctl::TunType::kIpip, 0, ctl::TunCsum::kNoCsum}));
  EXPECT_EQ(rs[1].fwd, (Forwarding{ctl::Fwd::kTunnel, ctl::TunType::kGue, 6080, ctl::TunCsum::kRemCsum}));
  EXPECT_EQ(rs[2].fwd, (Forwarding{ctl::Fwd::kTunnel, ctl::TunType::kGre, 0, ctl::TunCsum::kCsum}));
  EXPECT_EQ(rs[3].fwd, (Forwarding{ctl::Fwd::kTunnel, ctl::TunType::kIpip, 0, ctl::TunCsum::kNoCsum}));
}

// Forms keepalived takes that were refused here: a lowercase protocol, flags with a boolean
// argument, virtualhost at virtual_server and real_server level (the default of their checkers).
TEST(ParseConfig, KeepalivedsOtherSpellings) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 443 {\n protocol tcp\n alpha no\n omega yes\n inhibit_on_failure true\n"
      " virtualhost www.example.com\n quorum_up \"/etc/keepalived/vip.sh up\"\n quorum_down \"/bin/vip.sh down now\"\n"
      " real_server 198.18.1.1 443 {\n  inhibit_on_failure off\n  SSL_GET {\n   url {\n    path /\n   }\n  }\n }\n"
      " real_server 198.18.1.2 443 {\n  virtualhost api.example.com\n  notify_up /bin/up.sh\n  notify_down \"/bin/down.sh 2\"\n  HTTP_GET {\n   url {\n    path /\n   }\n"
      "  }\n }\n}\nvirtual_server 198.19.0.1 53 {\n protocol Udp\n}\n"
      "virtual_server fwmark 7 {\n lb_kind DR\n sorry_server 198.18.1.9\n real_server 198.18.1.3 {\n }\n}\n"
      "virtual_server 198.19.0.2 {\n persistence_timeout 60\n}\n",
      "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const VirtualServerConfig& vs = cfg->virtual_servers[0];
  EXPECT_EQ(vs.keys[0].protocol, net::kProtoTcp);
  EXPECT_FALSE(vs.alpha);
  EXPECT_TRUE(vs.omega);
  EXPECT_TRUE(vs.inhibit_on_failure);
  EXPECT_FALSE(vs.real_servers[0].inhibit_on_failure);
  EXPECT_EQ(vs.real_servers[0].checkers[0].virtualhost, "www.example.com");
  EXPECT_EQ(vs.real_servers[1].checkers[0].virtualhost, "api.example.com");
  EXPECT_TRUE(vs.real_servers[1].inhibit_on_failure);
  EXPECT_EQ(vs.quorum_up, "/etc/keepalived/vip.sh up");
  EXPECT_EQ(vs.quorum_down, "/bin/vip.sh down now");
  EXPECT_EQ(vs.real_servers[1].notify_up, "/bin/up.sh");
  EXPECT_EQ(vs.real_servers[1].notify_down, "/bin/down.sh 2");
  EXPECT_EQ(vs.real_servers[0].notify_up, "");
  EXPECT_EQ(cfg->virtual_servers[1].keys[0].protocol, net::kProtoUdp);
  // Without a port: port 0 (the real servers of a firewall mark, a port-zero service).
  const VirtualServerConfig& mark = cfg->virtual_servers[2];
  EXPECT_EQ(mark.real_servers[0].port, 0);
  EXPECT_EQ(mark.real_servers[0].addr.ToString(), "198.18.1.3");
  ASSERT_TRUE(mark.sorry_server.has_value());
  EXPECT_EQ(mark.sorry_server->port, 0);
  EXPECT_EQ(cfg->virtual_servers[3].keys[0].port, 0);
}

// keepalived's words: quoted parts glue to what surrounds them, \" and \\ are escapes inside
// double quotes, single quotes quote too, and a comment may follow a value without a blank.
TEST(ParseConfig, QuotesEscapesAndGluedComments) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n delay_loop 5#five seconds\n"
      " real_server 198.18.1.1 80 {\n  MISC_CHECK {\n   misc_path /bin/check a\"b c\"d 'e f' \"say \\\"hi\\\"\"!x\n  }\n }\n}\n",
      "q.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_DOUBLE_EQ(cfg->virtual_servers[0].delay_loop, 5);
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].checkers[0].misc_path, "/bin/check ab cd e f say \"hi\"");
}

// keepalived's preprocessing: @ID / @^ID lines by config id, $NAME=VALUE parameters (one
// spanning lines with backslashes), $NAME and ${NAME} replaced.
TEST(ParseConfig, ConditionalsAndParameters) {
  const std::string text =
      "$PORT=80\n"
      "$CHECK=TCP_CHECK {\\\n  connect_timeout 2\\\n}\n"
      "@lb1 $WEIGHT=3\n"
      "@^lb1 $WEIGHT=1\n"
      "virtual_server 198.19.0.1 $PORT {\n"
      " real_server 198.18.1.1 ${PORT} {\n  weight $WEIGHT\n  $CHECK\n }\n"
      "@lb1 real_server 198.18.1.2 $PORT {\n"
      "@lb1 }\n"
      "}\n";
  auto on_lb1 = ParseConfigText(text, "p.conf", "lb1");
  ASSERT_TRUE(on_lb1) << on_lb1.error().message;
  const VirtualServerConfig& vs = on_lb1->virtual_servers[0];
  EXPECT_EQ(vs.keys[0].port, 80);
  ASSERT_EQ(vs.real_servers.size(), 2u);
  EXPECT_EQ(vs.real_servers[0].port, 80);
  EXPECT_EQ(vs.real_servers[0].weight, 3);
  ASSERT_EQ(vs.real_servers[0].checkers.size(), 1u);
  EXPECT_EQ(vs.real_servers[0].checkers[0].kind, CheckerKind::kTcp);
  EXPECT_DOUBLE_EQ(vs.real_servers[0].checkers[0].connect_timeout, 2);
  auto elsewhere = ParseConfigText(text, "p.conf", "lb2");
  ASSERT_TRUE(elsewhere) << elsewhere.error().message;
  ASSERT_EQ(elsewhere->virtual_servers[0].real_servers.size(), 1u);
  EXPECT_EQ(elsewhere->virtual_servers[0].real_servers[0].weight, 1);
}

// The real servers of a virtual server, as "address:port" in the order read.
std::vector<std::string> RealServerNames(const VirtualServerConfig& vs) {
  std::vector<std::string> names;
  for (const RealServerConfig& rs : vs.real_servers) names.push_back(rs.Name());
  return names;
}

// keepalived 2.2.7's ~SEQ / ~SEQx / ~LST, with the values its `keepalived -t` shows.
TEST(ParseConfig, LineGeneratorsReplicateTheRestOfTheLine) {
  auto cfg = ParseConfigText(
      "$BASE=10\n"
      "virtual_server 198.19.0.1 80 {\n"
      " ~SEQ(N, 3) real_server 198.18.1.$N 80 { }\n"
      " ~SEQ(N, 0) real_server 198.18.2.$N 80 { }\n"
      " ~SEQ(M, 5, 3) real_server 198.18.3.${M} 80 { }\n"
      " ~SEQ(S, $BASE, 0x10, 0x2a) real_server 198.18.5.${S} 80 { }\n"
      " ~SEQ(A, 1, 2) ~SEQ(B, 7, 8) real_server 198.18.6.${A}${B} 80 { }\n"
      " ~LST(L, 1, 9) real_server 198.18.7.${L} 80 { }\n"
      " ~LST({P, Q}, {1, 81}, {3, 83}) real_server 198.18.8.${P} ${Q} { }\n"
      " ~LST(L, 2, 4) ~SEQ(N, 2) real_server 198.18.9.${L}${N} 80 { }\n"
      "}\n"
      "virtual_server 2001:db8::1 80 {\n"
      " ~SEQx(H, 9, 2, 14) real_server 2001:db8::${H} 80 { }\n"
      "}\n",
      "g.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(RealServerNames(cfg->virtual_servers[0]),
            (std::vector<std::string>{"198.18.1.1:80", "198.18.1.2:80", "198.18.1.3:80", "198.18.2.1:80",
                                      "198.18.2.0:80", "198.18.3.5:80", "198.18.3.4:80", "198.18.3.3:80",
                                      "198.18.5.10:80", "198.18.5.26:80", "198.18.5.42:80", "198.18.6.17:80", "198.18.6.18:80", "198.18.6.27:80",
                                      "198.18.6.28:80", "198.18.7.1:80", "198.18.7.9:80", "198.18.8.1:81",
                                      "198.18.8.3:83", "198.18.9.21:80", "198.18.9.22:80", "198.18.9.41:80",
                                      "198.18.9.42:80"}));
  EXPECT_EQ(RealServerNames(cfg->virtual_servers[1]),
            (std::vector<std::string>{"[2001:db8::9]:80", "[2001:db8::b]:80", "[2001:db8::d]:80"}));
}

// Every entry form of keepalived's virtual_server_group (check_data.c alloc_vsg_entry).
TEST(ParseConfig, GroupEntriesInEveryKeepalivedForm) {
  auto cfg = ParseConfigText(
      "virtual_server_group v4 {\n"
      "  198.19.0.1\n"                     // no port: every port
      "  198.19.0.10-12 80\n"              // last byte
      "  198.19.1.254-198.19.2.1 443\n"    // two full addresses
      "  198.19.3.8/30 25\n"               // a prefix, network and broadcast included
      "  fwmark 7\n"                       // family from the real servers
      "}\n"
      "virtual_server_group v6 {\n"
      "  2001:db8::8-a 80\n"               // last 16 bits, hex
      "  2001:db8::f0/127 53\n"
      "  2001:db8::ffff-2001:db8::1:0 8080\n"
      "  fwmark 8 inet6\n"
      "  fwmark 9 inet\n"                  // named: kept, whatever the real servers are
      "}\n"
      "virtual_server group v4 {\n  real_server 198.18.1.1 80 {\n  }\n}\n"
      "virtual_server group v6 {\n  protocol UDP\n  real_server 2001:db8:1::1 80 {\n  }\n}\n"
      "virtual_server fwmark 10 {\n  real_server 2001:db8:1::2 80 {\n  }\n}\n",
      "g.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->virtual_servers.size(), 3u);
  std::vector<std::string> v4, v6;
  for (const ctl::ServiceKey& k : cfg->virtual_servers[0].keys) v4.push_back(ServiceKeyName(k) + (k.family == net::Family::kInet6 ? " inet6" : ""));
  for (const ctl::ServiceKey& k : cfg->virtual_servers[1].keys) v6.push_back(ServiceKeyName(k) + (k.family == net::Family::kInet6 ? " inet6" : ""));
  EXPECT_EQ(v4, (std::vector<std::string>{"198.19.0.1:0/TCP", "198.19.0.10:80/TCP", "198.19.0.11:80/TCP", "198.19.0.12:80/TCP",
                                           "198.19.1.254:443/TCP", "198.19.1.255:443/TCP", "198.19.2.0:443/TCP",
                                           "198.19.2.1:443/TCP", "198.19.3.8:25/TCP", "198.19.3.9:25/TCP",
                                           "198.19.3.10:25/TCP", "198.19.3.11:25/TCP", "fwmark 7"}));
  EXPECT_EQ(v6, (std::vector<std::string>{"[2001:db8::8]:80/UDP inet6", "[2001:db8::9]:80/UDP inet6",
                                           "[2001:db8::a]:80/UDP inet6", "[2001:db8::f0]:53/UDP inet6",
                                           "[2001:db8::f1]:53/UDP inet6", "[2001:db8::ffff]:8080/UDP inet6",
                                           "[2001:db8::1:0]:8080/UDP inet6", "fwmark 8 inet6", "fwmark 9"}));
  EXPECT_EQ(cfg->virtual_servers[2].keys[0].family, net::Family::kInet6);  // from its real server
  // A service without a port is made persistent, as keepalived does.
  EXPECT_TRUE(cfg->virtual_servers[0].service.flags & ctl::kSvcPersistent);
  EXPECT_EQ(cfg->virtual_servers[0].service.timeout, kDefaultPersistenceTimeout);
  EXPECT_FALSE(cfg->virtual_servers[1].service.flags & ctl::kSvcPersistent);
  EXPECT_EQ(cfg->notices.back(), "g.conf:15: a service without a port must be persistent: persistence_timeout 360 (as keepalived)");
}

// keepalived's defaults (check_api.c, check_http.c, check_dns.c): 3 s for HTTP_GET and
// SSL_GET, the checker's delay_loop for DNS_CHECK, 1 s for the others; a value set on the
// virtual_server or real_server is inherited by every kind.
TEST(ParseConfig, DelayBeforeRetryDefaultsPerChecker) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n"
      "  real_server 198.18.1.1 80 {\n"
      "    HTTP_GET {\n      url {\n        path /\n      }\n    }\n"
      "    SSL_GET {\n      url {\n        path /\n      }\n    }\n"
      "    DNS_CHECK {\n      delay_loop 7\n    }\n"
      "    TCP_CHECK {\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/true\n    }\n"
      "  }\n"
      "  real_server 198.18.1.2 80 {\n"
      "    delay_before_retry 2\n"
      "    HTTP_GET {\n      url {\n        path /\n      }\n    }\n"
      "    DNS_CHECK {\n    }\n"
      "  }\n"
      "}\n",
      "d.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const auto& first = cfg->virtual_servers[0].real_servers[0].checkers;
  ASSERT_EQ(first.size(), 5u);
  EXPECT_DOUBLE_EQ(first[0].delay_before_retry, 3);
  EXPECT_DOUBLE_EQ(first[1].delay_before_retry, 3);
  EXPECT_DOUBLE_EQ(first[2].delay_before_retry, 7);
  EXPECT_DOUBLE_EQ(first[3].delay_before_retry, 1);
  EXPECT_DOUBLE_EQ(first[4].delay_before_retry, 1);
  const auto& second = cfg->virtual_servers[0].real_servers[1].checkers;
  ASSERT_EQ(second.size(), 2u);
  EXPECT_DOUBLE_EQ(second[0].delay_before_retry, 2);
  EXPECT_DOUBLE_EQ(second[1].delay_before_retry, 2);
}

TEST(ParseConfig, UrlRegexVirtualhostAndHttpProtocol) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n"
      "  real_server 198.18.1.1 80 {\n"
      "    HTTP_GET {\n"
      "      http_protocol 1.0c\n"
      "      url {\n"
      "        path /a\n"
      "        virtualhost a.example\n"
      "        regex \"ready|up\"\n"
      "        regex_no_match\n"
      "        regex_options caseless\n"
      "        regex_min_offset 2\n"
      "        regex_max_offset 100\n"
      "        regex_stack 32768 65536\n"
      "      }\n"
      "      url {\n        path /b\n      }\n"
      "    }\n"
      "  }\n"
      "}\n",
      "u.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& c = cfg->virtual_servers[0].real_servers[0].checkers[0];
  EXPECT_EQ(c.http_version, "1.0C");
  ASSERT_EQ(c.urls.size(), 2u);
  EXPECT_EQ(c.urls[0].virtualhost, "a.example");
  EXPECT_EQ(c.urls[0].regex, "ready|up");
  EXPECT_TRUE(c.urls[0].regex_no_match);
  EXPECT_TRUE(c.urls[0].regex_caseless);
  EXPECT_EQ(c.urls[0].regex_min_offset, 2u);
  EXPECT_EQ(c.urls[0].regex_max_offset, 100u);
  EXPECT_EQ(c.urls[1], UrlCheck{.path = "/b"});
  EXPECT_EQ(cfg->notices.back(), "u.conf:13: ignoring regex_stack (a PCRE2 JIT setting; healthd's regex has none)");
}

// keepalived's alpha: set on the virtual_server, the real_server or the checker, the
// innermost wins; `alpha no` turns an inherited one off.
TEST(ParseConfig, AlphaInheritsToEveryChecker) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n"
      "  alpha\n"
      "  real_server 198.18.1.1 80 {\n    TCP_CHECK {\n    }\n    TCP_CHECK {\n      alpha no\n    }\n  }\n"
      "  real_server 198.18.1.2 80 {\n    alpha off\n    TCP_CHECK {\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/true\n      alpha\n    }\n  }\n"
      "}\n",
      "a.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const auto& rs = cfg->virtual_servers[0].real_servers;
  EXPECT_TRUE(rs[0].checkers[0].alpha);
  EXPECT_FALSE(rs[0].checkers[1].alpha);
  EXPECT_FALSE(rs[1].checkers[0].alpha);
  EXPECT_TRUE(rs[1].checkers[1].alpha);
}

TEST(DescribeConfig, ListsEveryRealServerWithItsCheckers) {
  auto cfg = ParseConfigText(
      "virtual_server 198.19.0.1 80 {\n"
      "  lb_kind DR\n"
      "  sorry_server 198.18.1.9 80\n"
      "  real_server 198.18.1.1 80 {\n    weight 3\n    TCP_CHECK {\n    }\n    PING_CHECK {\n    }\n  }\n"
      "  real_server 198.18.1.2 80 {\n  }\n"
      "}\n",
      "s.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(DescribeConfig(*cfg),
            "virtual_server 198.19.0.1:80/TCP at s.conf:1: 2 real servers, services: 198.19.0.1:80/TCP\n"
            "  real_server 198.18.1.1:80 at s.conf:4: weight 3, DR, checkers: TCP_CHECK at s.conf:6 PING_CHECK at s.conf:8\n"
            "  real_server 198.18.1.2:80 at s.conf:11: weight 1, DR, no checkers (always up)\n"
            "  sorry_server 198.18.1.9:80 at s.conf:3: weight 1, DR, no checkers (always up)\n");
}

struct BadCase {
  const char* text;
  const char* message;
};

// How a case reads in test output and in ctest's name (instead of its bytes).
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.message; }

class ParseConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseConfigErrors, ReportFileAndLine) {
  auto cfg = ParseConfigText(GetParam().text, "bad.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseConfigErrors,
    ::testing::Values(
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_algo\n}\n", "bad.conf:2: 'lb_algo' takes 1 argument"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind FOO\n}\n", "bad.conf:2: lb_kind must be NAT, DR or TUN, not 'FOO'"},
        BadCase{"virtual_server 198.19.0.1 80 {\n", "bad.conf:1: block 'virtual_server' is not closed"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  alpha maybe\n}\n", "bad.conf:2: 'alpha' takes yes or no, not 'maybe'"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind TUN type gue\n}\n", "bad.conf:2: TUN type gue needs a port"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind TUN port 6080\n}\n", "bad.conf:2: a TUN port needs type gue"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind TUN type gre remcsum\n}\n",
                "bad.conf:2: remcsum needs TUN type gue"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind TUN csum\n}\n",
                "bad.conf:2: TUN type ipip takes no checksum option"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind TUN type vxlan\n}\n",
                "bad.conf:2: TUN type must be ipip, gue or gre, not 'vxlan'"},
        BadCase{"virtual_server 198.19.0.1 80 {\n  lb_kind NAT type gue\n}\n", "bad.conf:2: only TUN takes options ('type')"},
        BadCase{"}\n", "bad.conf:1: '}' without a matching '{'"},
        BadCase{"virtual_server 198.19.0.300 80 {\n}\n", "bad.conf:1: '198.19.0.300' is not an IP address"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  wieght 3\n }\n}\n",
                "bad.conf:3: unknown keyword 'wieght' in real_server"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  weight -1\n }\n}\n",
                "bad.conf:3: '-1' is out of range (0..2147483647)"},
        BadCase{"virtual_server 198.19.0.1 80 {\n weight 0\n}\n", "bad.conf:2: '0' is out of range (1..2147483647)"},
        BadCase{"virtual_server 198.19.0.1 80 {\n delay_loop soon\n}\n", "bad.conf:2: 'soon' is not a number"},
        BadCase{"virtual_server 198.19.0.1 80 {\n protocol ICMP\n}\n",
                "bad.conf:2: protocol must be TCP, UDP or SCTP, not 'ICMP'"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  HTTP_GET {\n  }\n }\n}\n",
                "bad.conf:3: HTTP_GET needs at least one url"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  HTTP_GET {\n   url {\n"
                "    digest xyz\n   }\n  }\n }\n}\n",
                "bad.conf:5: digest must be 32 hex digits (MD5)"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  MISC_CHECK {\n  }\n }\n}\n",
                "bad.conf:3: MISC_CHECK needs misc_path"},
        BadCase{"virtual_server group nope {\n}\n", "bad.conf:1: virtual_server_group 'nope' is not defined"},
        BadCase{"virtual_server 198.19.0.1 80 {\n}\nvirtual_server 198.19.0.1 80 {\n}\n",
                "bad.conf:3: virtual_server 198.19.0.1:80/TCP is defined twice"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n }\n"
                " real_server 198.18.1.1 80 {\n }\n}\n",
                "bad.conf:4: real_server 198.18.1.1:80 is listed twice"},
        BadCase{"virtual_server 198.19.0.1 80 {\n persistence_granularity 255.0.255.0\n}\n",
                "bad.conf:2: '255.0.255.0' is not a contiguous netmask"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n }\n dynamic_feedback {\n"
                "  cpu 0.9\n }\n}\n",
                "bad.conf:4: dynamic_feedback ratios cpu + runq + memory + connections must add up to 1"},
        BadCase{"virtual_server 198.19.0.1 80 {\n misc_path \"unterminated\n}\n", "bad.conf:2: unterminated quoted string"},
        BadCase{"\nincludea /nonexistent/conf.d/*.conf\n", "bad.conf:2: include '/nonexistent/conf.d/*.conf' matches no file"},
        BadCase{"\n~SEQ(N, 1, 0, 3) virtual_server 198.19.0.${N} 80 {\n}\n",
                "bad.conf:2: ~SEQ: step 0 never goes from 1 to 3"},
        BadCase{"~SEQ(N, 3, 1, 1) x\n", "bad.conf:1: ~SEQ: step 1 never goes from 3 to 1"},
        BadCase{"~SEQx(N, -1, 3) x\n", "bad.conf:1: ~SEQx takes no negative values"},
        BadCase{"~SEQ(N, 1, three) x\n", "bad.conf:1: ~SEQ: 'three' is not a number"},
        BadCase{"~SEQ N, 3 x\n", "bad.conf:1: ~SEQ needs (...) right after it"},
        BadCase{"~SEQ(1N, 3) x\n", "bad.conf:1: ~SEQ: '1N' is not a variable name"},
        BadCase{"~SEQ(A, 2000) ~SEQ(B, 2000) x\n", "bad.conf:1: line generators would produce more than 1048576 lines"},
        BadCase{"~LST({A,B}, {1,2}, {3}) x\n", "bad.conf:1: ~LST: group 2 has 1 values for 2 variables"},
        BadCase{"~LST(A) x\n", "bad.conf:1: ~LST takes (VAR, VALUE, ...) or ({VAR,...}, {VALUE,...}, ...)"},
        BadCase{"virtual_server 198.19.0.1 80 {\n ~SEQ(N, 2) real_server 198.18.1.1 80 { weight $N }\n}\n",
                "bad.conf:2: real_server 198.18.1.1:80 is listed twice"},
        BadCase{"virtual_server_group g {\n 198.19.0.20-20 80\n}\n",
                "bad.conf:2: the range '198.19.0.20-20' does not end above its start"},
        BadCase{"virtual_server_group g {\n 198.19.0.20-256 80\n}\n",
                "bad.conf:2: '256' is not the end of an address range"},
        BadCase{"virtual_server_group g {\n 198.19.0.9-198.19.0.8 80\n}\n",
                "bad.conf:2: the range '198.19.0.9-198.19.0.8' ends before it starts"},
        BadCase{"virtual_server_group g {\n 198.19.0.9-2001:db8::1 80\n}\n",
                "bad.conf:2: '2001:db8::1' is not the end of an address range"},
        BadCase{"virtual_server_group g {\n 198.19.3.9/30 80\n}\n",
                "bad.conf:2: '198.19.3.9/30' has address bits set beyond the prefix length"},
        BadCase{"virtual_server_group g {\n 198.19.3.8/33 80\n}\n", "bad.conf:2: '33' is out of range (1..32)"},
        BadCase{"virtual_server_group g {\n 10.0.0.0/8 80\n}\n",
                "bad.conf:2: '10.0.0.0/8' makes more than 65536 services"},
        BadCase{"virtual_server_group g {\n fwmark 8 inet7\n}\n",
                "bad.conf:2: fwmark family must be inet or inet6, not 'inet7'"},
        BadCase{"virtual_server_group g {\n 2001:db8::1 80\n}\nvirtual_server group g {\n"
                " real_server 198.18.1.1 80 {\n }\n}\n",
                "bad.conf:4: virtual_server_group 'g' has [2001:db8::1]:80/TCP, of another address family than the real "
                "servers (only tunnelled ones may differ)"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  HTTP_GET {\n   url {\n"
                "    path /\n    regex \"(unclosed\"\n   }\n  }\n }\n}\n",
                "bad.conf:6: regex '(unclosed': Unmatched ( or \\("},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  HTTP_GET {\n   url {\n"
                "    path /\n    regex x\n    regex_options dotall\n   }\n  }\n }\n}\n",
                "bad.conf:7: regex_options 'dotall' is not supported: healthd's regex is POSIX extended, where only "
                "caseless has a meaning"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  HTTP_GET {\n   url {\n"
                "    path /\n    regex_no_match\n   }\n  }\n }\n}\n",
                "bad.conf:4: regex_no_match, regex_options and regex offsets need a regex"},
        BadCase{"virtual_server 198.19.0.1 80 {\n real_server 2001:db8::1 80 {\n }\n}\n",
                "bad.conf:1: the real servers that are not tunnelled are of another address family than 198.19.0.1:80/TCP"}));

// keepalived goes on when an include matches nothing (an empty conf.d); healthd says so.
TEST(ParseConfig, AnIncludeMatchingNothingIsANotice) {
  auto cfg = ParseConfigText("include /nonexistent/*.conf\nvirtual_server 198.19.0.1 80 {\n}\n", "i.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->virtual_servers.size(), 1u);
  ASSERT_FALSE(cfg->notices.empty());
  EXPECT_EQ(cfg->notices[0], "i.conf:1: include '/nonexistent/*.conf' matches no file");
}

TEST(ParseConfigFile, IncludesAreRelativeToTheIncludingFileAndErrorsNameThem) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "health_config_test";
  std::filesystem::create_directories(dir / "conf.d");
  std::ofstream(dir / "main.conf") << "include conf.d/*.conf\n";
  std::ofstream(dir / "conf.d" / "a.conf") << "virtual_server 198.19.0.1 80 {\n}\n";
  auto ok = ParseConfigFile((dir / "main.conf").string());
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->virtual_servers.size(), 1u);
  std::ofstream(dir / "conf.d" / "b.conf") << "virtual_server 198.19.0.2 80 {\n  quorum 0\n}\n";
  auto bad = ParseConfigFile((dir / "main.conf").string());
  ASSERT_FALSE(bad);
  const std::string want = "conf.d/b.conf:2: '0' is out of range (1..16777215)";
  EXPECT_NE(bad.error().message.find(want), std::string::npos) << bad.error().message;
  std::filesystem::remove_all(dir);
}

// A file that includes itself through a glob is a loop, found at once with a message that
// names the include line, not after the loop has been followed to the depth limit.
TEST(ParseConfigFile, SelfIncludingGlobFailsAtOnce) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "health_config_loop";
  std::filesystem::create_directories(dir);
  for (const char* name : {"a.conf", "b.conf", "c.conf", "d.conf"}) std::ofstream(dir / name) << "include *.conf\n";
  auto cfg = ParseConfigFile((dir / "a.conf").string());
  ASSERT_FALSE(cfg);
  const std::string a = (dir / "a.conf").string();
  EXPECT_EQ(cfg.error().message, a + ":1: include loop: '*.conf' includes " + a + " again");
  std::filesystem::remove_all(dir);
}

// Globs that fan out without a loop: four files per level, each including the four of the
// next level, seven levels deep, would read 4^7 = 16384 files. The cap stops it at 1024.
TEST(ParseConfigFile, IncludeFanOutIsCapped) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "health_config_fanout";
  constexpr int kLevels = 7;
  for (int level = 0; level < kLevels; ++level) {
    const std::filesystem::path sub = dir / ("l" + std::to_string(level));
    std::filesystem::create_directories(sub);
    for (const char* name : {"a.conf", "b.conf", "c.conf", "d.conf"}) {
      std::ofstream out(sub / name);
      if (level + 1 < kLevels) out << "include ../l" << level + 1 << "/*.conf\n";
    }
  }
  std::ofstream(dir / "main.conf") << "include l0/*.conf\n";
  auto cfg = ParseConfigFile((dir / "main.conf").string());
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find(": include '../l6/*.conf' would read more than 1024 files"), std::string::npos)
      << cfg.error().message;
  std::filesystem::remove_all(dir);
}

// Blocks nest a few levels in a real keepalived.conf; 10000 would recurse the tree builder
// (and the tree's destructor) off the stack.
TEST(ParseConfig, DeepBraceNestingIsAnError) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "b {\n";
  auto cfg = ParseConfigText(text, "deep.conf");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, "deep.conf:65: blocks nested more than 64 deep");
}

}  // namespace
}  // namespace ipvsd::health
