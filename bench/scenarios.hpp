#pragma once
// The load scenarios. Each runs on Common::procs worker processes (worker.hpp) and returns one
// Report: the JSON line for stdout and the table for stderr.
#include <string>
#include <vector>

#include "common.hpp"
#include "result.hpp"

namespace nb {

struct IdleOptions {
  unsigned sockets = 1000;
  unsigned sockets_per_user = 1;  // >1: fewer users (fewer presence broadcasts on servers that send them to all)
  double hold = 5;                // seconds to hold the sockets open
  double settle = 1;              // seconds after the last connect before the "after" RSS reading
};

struct PairsOptions {
  unsigned pairs = 50;
  unsigned window = 10;      // messages in flight per pair
  unsigned size = 32;        // minimum message text length (padded)
};

struct FanoutOptions {
  std::string mode = "presence";  // presence | tabs
  // presence: S receiving sockets, a probe user connects/disconnects repeatedly
  unsigned sockets = 1000;
  unsigned sockets_per_user = 10;
  double cycle_timeout = 5;       // seconds for one event to reach every socket
  // tabs: one user with K sockets receives messages sent by another user, W in flight
  unsigned tabs = 100;
  unsigned window = 10;
  unsigned size = 32;
};

struct PresenceOptions {
  unsigned users = 1000;
  unsigned concurrency = 1;  // handshakes in flight per worker process (1 = one after another)
};

struct RestOptions {
  unsigned clients = 32;
  unsigned users = 4;         // distinct authenticated users the clients share
  unsigned contacts = 10;     // conversations per user (GET /api/conversations size)
  unsigned seed_messages = 60;  // messages in the conversation read by GET .../messages
  std::vector<std::string> endpoints = {"me", "conversations", "messages", "send"};
  // >0: open loop, requests/s across all clients and processes, each client on a fixed schedule;
  // latency counts from the scheduled send time. 0: closed loop (next request on the response).
  double rate = 0;
};

struct EchoOptions {
  std::string mode = "roundtrip";  // roundtrip | connect | fanout
  std::string path = "/";  // WebSocket path on the echo server (fanout: /group/<run id>)
  unsigned sockets = 0;    // roundtrip (default 50), connect (default 5000)
  unsigned window = 10;    // roundtrip: frames in flight per socket; fanout: messages in flight
  unsigned receivers = 100;  // fanout: sockets that get every message
  unsigned size = 32;
  double hold = 3;           // connect: seconds to hold the sockets open
  double settle = 1;         // connect: seconds after the last connect before the "after" RSS reading
  double cycle_timeout = 5;  // fanout: seconds for one message to reach every receiver
};

Report run_idle(const Common& c, const Target& t, const IdleOptions& o);
Report run_pairs(const Common& c, const Target& t, const PairsOptions& o);
Report run_fanout(const Common& c, const Target& t, const FanoutOptions& o);
Report run_presence(const Common& c, const Target& t, const PresenceOptions& o);
Report run_rest(const Common& c, const Target& t, const RestOptions& o);
// Raw WebSocket server (natter-echo; no chat API): the ceilings of the WebSocket layer on this
// machine. roundtrip: S sockets echo W frames in flight each (beside pairs). connect: `idle`
// without login or Socket.IO, a connect proven by one echoed frame. fanout: `fanout --mode tabs`
// on a /group/ path, one sender and K receivers.
Report run_echo(const Common& c, const Target& t, const EchoOptions& o);
Report run_echo_connect(const Common& c, const Target& t, const EchoOptions& o);
Report run_echo_fanout(const Common& c, const Target& t, const EchoOptions& o);

}  // namespace nb
