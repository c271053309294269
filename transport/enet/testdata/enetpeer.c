/* A libenet test peer for the Go interop tests (see interop_test.go).
 *
 *   enetpeer server [--channels N] [--peers N] [--range-coder]
 *       Binds 127.0.0.1 on an ephemeral port, prints "PORT <n>", echoes every
 *       packet on its channel with its flags. Payload "BYE" makes it call
 *       enet_peer_disconnect(0xABCD), "BYE-NOW" enet_peer_disconnect_now,
 *       "BYE-LATER" enet_peer_disconnect_later, "RESET" enet_peer_reset.
 *       Exits 0 after the first DISCONNECT event (or after a RESET).
 *   enetpeer client PORT [--channels N] [--data X] [--range-coder]
 *       Connects to 127.0.0.1:PORT, sends the script below, checks the echoes,
 *       disconnects with data 0x1234 and exits 0 when everything matched.
 *   --range-coder enables enet_host_compress_with_range_coder, --checksum
 *   sets host->checksum = enet_crc32, --dump prints every received datagram.
 *   enetpeer bench PORT N SIZE [--unreliable] [--rtt] [--burst B]
 *       Sends N SIZE-byte packets to an echo server on PORT, B at a time,
 *       prints "BENCH ns=<time until the last echoes> got=<echoes>" and
 *       disconnects.
 *   enetpeer clients PORT CLIENTS N SIZE [--burst B]
 *       CLIENTS hosts of one peer each connect to an echo server on PORT;
 *       once all are connected, each sends N reliable SIZE-byte packets on
 *       channel 0, B at once per round (a round ends with its last echo).
 *       Prints "BENCH ns=<time in rounds> got=<echoes>" and disconnects
 *       them all at once.
 *   enetpeer flood PORT SIZE PER MS [--out N]
 *       A client whose host has outgoing bandwidth N connects to PORT and
 *       sends PER unreliable SIZE-byte packets on channel 0 every 25 ms for
 *       MS milliseconds, then disconnects. Prints the LIMIT lines as sink,
 *       followed by " gen=<n>", n counting them from 1. Each packet starts
 *       with the generation of the last LIMIT line (1 byte) and the
 *       milliseconds since it was printed (uint32, little-endian), so the
 *       receiver can measure the rate in the sender's time.
 *   enetpeer sink [--in N] [--out N] [--peers N]
 *       A server whose host has bandwidth N in / out (bytes/s, default 0).
 *       Prints "PORT <n>", then "LIMIT in=<n> out=<n>" whenever the
 *       bandwidth its last peer announced changes, and every 200 ms
 *       "BYTES ms=<since the first packet> n=<payload bytes received>".
 *       Exits 0 after the first DISCONNECT event.
 *
 *   enetpeer godot-client PORT ID [--channels N]
 *       Godot 4.6's ENetMultiplayerPeer.create_client: a one-peer host with
 *       channel limit 0, connecting with N+2 channels (255 when N is 0) and
 *       data = ID. Reads commands from stdin, one a line:
 *         send MODE CH TEXT   put_packet of TEXT with transfer mode MODE
 *                             (0 unreliable, 1 unreliable ordered, 2 reliable)
 *                             and transfer channel CH (target ignored)
 *         disconnect          disconnect_peer(1): peer_disconnect(0) + flush
 *         close               close(): peer_disconnect_now(0) + flush
 *       Prints "PEER_CONNECTED 1", "PEER_DISCONNECTED 1" and for every
 *       packet "PACKET from=1 channel=<c> mode=<m> ench=<n> flags=<n> TEXT".
 *   enetpeer godot-server [--channels N] [--peers N]
 *       Godot 4.6's ENetMultiplayerPeer.create_server(port, N peers, N
 *       channels): channel limit 0, incoming bandwidth N+2 when N > 0. Prints
 *       "PORT <n>"; resets a CONNECT whose data is below 2 or in use
 *       ("REFUSED data=<n>"), else "PEER_CONNECTED <id>"; prints
 *       "PEER_DISCONNECTED <id>" and "PACKET from=<id> ..." as the client.
 *       Commands: "send TARGET MODE CH TEXT" (target 0 = broadcast, < 0 =
 *       all but -TARGET), "kick ID" (disconnect_peer(ID)), "close".
 *
 * Every event is printed on one line:
 *   CONNECT data=<hex> mtu=<n> channels=<n>
 *   RECV ch=<n> len=<n> flags=<n> sum=<hex>
 *   DISCONNECT data=<hex>
 */
#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

static unsigned crc(const unsigned char *p, size_t n) {
	unsigned c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static int opt(int argc, char **argv, const char *name, int def) {
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return (int)strtoul(argv[i + 1], NULL, 0);
	return def;
}

static int has(int argc, char **argv, const char *name) {
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int ENET_CALLBACK dump(ENetHost *h, ENetEvent *ev) {
	(void)ev;
	printf("DUMP %zu ", h->receivedDataLength);
	for (size_t i = 0; i < h->receivedDataLength && i < 24; i++) printf("%02x", h->receivedData[i]);
	printf("\n");
	return 0;
}

static void print_recv(ENetEvent *ev) {
	printf("RECV ch=%u len=%zu flags=%u sum=%08x\n", ev->channelID, ev->packet->dataLength,
	       ev->packet->flags & 0xB, crc(ev->packet->data, ev->packet->dataLength));
}

static int is(ENetPacket *p, const char *s) {
	return p->dataLength == strlen(s) && memcmp(p->data, s, p->dataLength) == 0;
}

static int server(int argc, char **argv) {
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = 0;
	ENetHost *h = enet_host_create(&addr, opt(argc, argv, "--peers", 8), opt(argc, argv, "--channels", 0), 0, 0);
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	if (has(argc, argv, "--range-coder")) enet_host_compress_with_range_coder(h);
	if (has(argc, argv, "--checksum")) h->checksum = enet_crc32;
	if (has(argc, argv, "--dump")) h->intercept = dump;
	ENetAddress bound;
	enet_socket_get_address(h->socket, &bound);
	printf("PORT %u\n", bound.port);
	fflush(stdout);
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 10);
		if (r < 0) { fprintf(stderr, "service error\n"); return 2; }
		if (r == 0) continue;
		switch (ev.type) {
		case ENET_EVENT_TYPE_CONNECT:
			printf("CONNECT data=%08x mtu=%u channels=%zu\n", ev.data, ev.peer->mtu, ev.peer->channelCount);
			break;
		case ENET_EVENT_TYPE_RECEIVE: {
			ENetPacket *p = ev.packet;
			print_recv(&ev);
			if (is(p, "BYE")) enet_peer_disconnect(ev.peer, 0xABCD);
			else if (is(p, "BYE-NOW")) { enet_peer_disconnect_now(ev.peer, 0xABCD); printf("DONE\n"); fflush(stdout); return 0; }
			else if (is(p, "BYE-LATER")) {
				ENetPacket *e = enet_packet_create("last", 4, ENET_PACKET_FLAG_RELIABLE);
				enet_peer_send(ev.peer, 0, e);
				enet_peer_disconnect_later(ev.peer, 0xABCD);
			} else if (is(p, "RESET")) { enet_peer_reset(ev.peer); printf("DONE\n"); fflush(stdout); return 0; }
			else {
				ENetPacket *e = enet_packet_create(p->data, p->dataLength, p->flags & 0xB);
				if (enet_peer_send(ev.peer, ev.channelID, e) < 0) enet_packet_destroy(e);
			}
			enet_packet_destroy(p);
			break;
		}
		case ENET_EVENT_TYPE_DISCONNECT:
			printf("DISCONNECT data=%08x\n", ev.data);
			fflush(stdout);
			enet_host_flush(h);
			enet_host_destroy(h);
			return 0;
		default:
			break;
		}
		fflush(stdout);
	}
}

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* bench PORT N SIZE [--unreliable] [--rtt] [--burst B]: send N packets of
 * SIZE bytes on channel 0 (reliable unless --unreliable) to an echo server,
 * B at once (default N) and the next B once their echoes are in, or one at
 * a time after each echo (--rtt); print "BENCH ns=<time> got=<echoes>" and
 * disconnect. The time runs from each burst's first send to its last echo;
 * an unreliable burst ends 300 ms after its last echo (not counted). */
static int bench(int argc, char **argv) {
	int port = atoi(argv[2]), n = atoi(argv[3]);
	size_t size = (size_t)atoi(argv[4]);
	int unrel = has(argc, argv, "--unreliable"), rtt = has(argc, argv, "--rtt");
	int burst = rtt ? 1 : opt(argc, argv, "--burst", n);
	enet_uint32 flags = unrel ? 0 : ENET_PACKET_FLAG_RELIABLE;
	ENetHost *h = enet_host_create(NULL, 1, 1, 0, 0);
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = (enet_uint16)port;
	ENetPeer *peer = enet_host_connect(h, &addr, 1, 0);
	unsigned char *buf = calloc(1, size + 1);
	int sent = 0, got = 0, inBurst = 0, burstGot = 0, done = 0;
	long long active = 0, start = 0, last = 0;
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 1);
		if (r < 0) return 2;
		if (r > 0 && ev.type == ENET_EVENT_TYPE_DISCONNECT) return done ? 0 : 1;
		if (r > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE) {
			enet_packet_destroy(ev.packet);
			last = now_ns();
			got++;
			burstGot++;
		}
		int connected = peer->state == ENET_PEER_STATE_CONNECTED;
		int over = inBurst && (burstGot == inBurst ||
		           (unrel && r == 0 && now_ns() - (last > start ? last : start) > 300000000LL));
		if (over) {
			if (burstGot > 0) active += last - start;
			inBurst = 0;
		}
		if (connected && !inBurst && !done) {
			if (sent == n) {
				done = 1;
				printf("BENCH ns=%lld got=%d\n", active, got);
				enet_peer_disconnect(peer, 0);
				continue;
			}
			inBurst = burst < n - sent ? burst : n - sent;
			burstGot = 0;
			start = now_ns();
			for (int i = 0; i < inBurst; i++)
				enet_peer_send(peer, 0, enet_packet_create(buf, size, flags));
			sent += inBurst;
			enet_host_flush(h);
		}
	}
}

static int clients(int argc, char **argv) {
	int port = atoi(argv[2]), nc = atoi(argv[3]), n = atoi(argv[4]);
	size_t size = (size_t)atoi(argv[5]);
	int burst = opt(argc, argv, "--burst", n);
	ENetHost **hs = calloc((size_t)nc, sizeof *hs);
	ENetPeer **ps = calloc((size_t)nc, sizeof *ps);
	unsigned char *buf = calloc(1, size + 1);
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = (enet_uint16)port;
	for (int i = 0; i < nc; i++) {
		hs[i] = enet_host_create(NULL, 1, 1, 0, 0);
		if (!hs[i]) { fprintf(stderr, "host create failed\n"); return 2; }
		ps[i] = enet_host_connect(hs[i], &addr, 1, (enet_uint32)i);
	}
	int connected = 0, total = 0, sent = 0, inRound = 0;
	long long active = 0, start = 0;
	for (;;) {
		if (connected == nc && total == nc * sent) {
			if (inRound) active += now_ns() - start;
			if (sent == n) break;
			inRound = burst < n - sent ? burst : n - sent;
			start = now_ns();
			for (int k = 0; k < nc; k++) {
				for (int j = 0; j < inRound; j++)
					enet_peer_send(ps[k], 0, enet_packet_create(buf, size, ENET_PACKET_FLAG_RELIABLE));
				enet_host_flush(hs[k]);
			}
			sent += inRound;
		}
		ENetSocketSet set;
		ENET_SOCKETSET_EMPTY(set);
		ENetSocket maxs = 0;
		for (int i = 0; i < nc; i++) {
			ENET_SOCKETSET_ADD(set, hs[i]->socket);
			if (hs[i]->socket > maxs) maxs = hs[i]->socket;
		}
		enet_socketset_select(maxs, &set, NULL, 5);
		for (int i = 0; i < nc; i++) {
			ENetEvent ev;
			while (enet_host_service(hs[i], &ev, 0) > 0) {
				if (ev.type == ENET_EVENT_TYPE_CONNECT) {
					connected++;
				} else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
					enet_packet_destroy(ev.packet);
					total++;
				} else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
					fprintf(stderr, "client %d disconnected\n", i);
					return 1;
				}
			}
		}
	}
	printf("BENCH ns=%lld got=%d\n", active, total);
	for (int i = 0; i < nc; i++) {
		enet_peer_disconnect_now(ps[i], 0);
		enet_host_destroy(hs[i]);
	}
	return 0;
}

static int flood(int argc, char **argv) {
	int port = atoi(argv[2]), per = atoi(argv[4]);
	size_t size = (size_t)atoi(argv[3]);
	long long dur = atoll(argv[5]) * 1000000LL;
	ENetHost *h = enet_host_create(NULL, 1, 1, 0, (enet_uint32)opt(argc, argv, "--out", 0));
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = (enet_uint16)port;
	ENetPeer *peer = enet_host_connect(h, &addr, 1, 0);
	unsigned char *buf = calloc(1, size + 1);
	enet_uint32 in = ~0u, out = ~0u;
	long long start = 0, next = 0, since = 0;
	int gen = 0;
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 1);
		if (r < 0) return 2;
		if (r > 0 && ev.type == ENET_EVENT_TYPE_CONNECT) {
			printf("CONNECT data=%08x mtu=%u channels=%zu\n", ev.data, peer->mtu, peer->channelCount);
			start = next = now_ns();
		} else if (r > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE) {
			enet_packet_destroy(ev.packet);
		} else if (r > 0 && ev.type == ENET_EVENT_TYPE_DISCONNECT) {
			printf("DISCONNECT data=%08x\n", ev.data);
			enet_host_destroy(h);
			return 0;
		}
		if (peer->state == ENET_PEER_STATE_CONNECTED &&
		    (peer->incomingBandwidth != in || peer->outgoingBandwidth != out)) {
			in = peer->incomingBandwidth;
			out = peer->outgoingBandwidth;
			printf("LIMIT in=%u out=%u gen=%d\n", in, out, ++gen);
			since = now_ns();
		}
		long long t = now_ns();
		if (start && t - start >= dur && peer->state == ENET_PEER_STATE_CONNECTED) {
			enet_peer_disconnect(peer, 0);
			start = 0;
		}
		if (start && t >= next) {
			next += 25000000LL;
			enet_uint32 ms = since ? (enet_uint32)((t - since) / 1000000LL) : 0;
			if (size >= 5) {
				buf[0] = (unsigned char)gen;
				for (int b = 0; b < 4; b++)
					buf[1 + b] = (unsigned char)(ms >> (8 * b));
			}
			for (int i = 0; i < per; i++)
				enet_peer_send(peer, 0, enet_packet_create(buf, size, 0));
		}
	}
}

static int sink(int argc, char **argv) {
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = 0;
	ENetHost *h = enet_host_create(&addr, (size_t)opt(argc, argv, "--peers", 1), 0,
	                               (enet_uint32)opt(argc, argv, "--in", 0), (enet_uint32)opt(argc, argv, "--out", 0));
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	ENetAddress bound;
	enet_socket_get_address(h->socket, &bound);
	printf("PORT %u\n", bound.port);
	ENetPeer *peer = NULL;
	enet_uint32 in = ~0u, out = ~0u;
	long long first = 0, lastPrint = 0, total = 0;
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 5);
		if (r < 0) return 2;
		if (r > 0) switch (ev.type) {
		case ENET_EVENT_TYPE_CONNECT:
			peer = ev.peer;
			in = out = ~0u;
			printf("CONNECT data=%08x mtu=%u channels=%zu\n", ev.data, peer->mtu, peer->channelCount);
			break;
		case ENET_EVENT_TYPE_RECEIVE:
			if (!first) first = now_ns();
			total += (long long)ev.packet->dataLength;
			enet_packet_destroy(ev.packet);
			break;
		case ENET_EVENT_TYPE_DISCONNECT:
			printf("DISCONNECT data=%08x\n", ev.data);
			enet_host_destroy(h);
			return 0;
		default:
			break;
		}
		if (peer && (peer->incomingBandwidth != in || peer->outgoingBandwidth != out)) {
			in = peer->incomingBandwidth;
			out = peer->outgoingBandwidth;
			printf("LIMIT in=%u out=%u\n", in, out);
		}
		long long t = now_ns();
		if (first && t - lastPrint >= 200000000LL) {
			lastPrint = t;
			printf("BYTES ms=%lld n=%lld\n", (t - first) / 1000000, total);
		}
	}
}

struct msg { int ch; unsigned flags; size_t len; };

static int client(int argc, char **argv) {
	int port = atoi(argv[2]);
	int channels = opt(argc, argv, "--channels", 4);
	unsigned data = (unsigned)opt(argc, argv, "--data", 0x11223344);
	ENetHost *h = enet_host_create(NULL, 1, channels, 0, 0);
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	if (has(argc, argv, "--range-coder")) enet_host_compress_with_range_coder(h);
	if (has(argc, argv, "--checksum")) h->checksum = enet_crc32;
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = (enet_uint16)port;
	ENetPeer *peer = enet_host_connect(h, &addr, channels, data);
	struct msg script[64];
	int n = 0, next = 0, reliableEchoes = 0, reliableSent = 0, unrelEchoes = 0, connected = 0, bad = 0;
	static size_t want[256][64];
	static int wantSeed[256][64], head[256], tail[256];
	int deadline = 0;
	for (int loops = 0; loops < 3000; loops++) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 10);
		if (r < 0) return 2;
		if (r > 0) switch (ev.type) {
		case ENET_EVENT_TYPE_CONNECT: {
			printf("CONNECT data=%08x mtu=%u channels=%zu\n", ev.data, peer->mtu, peer->channelCount);
			size_t f = peer->mtu - 28 - (h->checksum ? 4 : 0);
			/* Unreliable packets first: libenet's packet throttle drops
			 * unreliable sends once the RTT rises, which a 1 MB reliable
			 * packet in flight on a busy machine does. */
			size_t small[] = {1, 100, f};
			for (size_t i = 0; i < 3; i++) {
				script[n++] = (struct msg){(int)((i + 1) % peer->channelCount), 0, small[i]};
				script[n++] = (struct msg){(int)((i + 2) % peer->channelCount), ENET_PACKET_FLAG_UNSEQUENCED, small[i]};
			}
			script[n++] = (struct msg){1 % (int)peer->channelCount, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, 3000};
			script[n++] = (struct msg){1 % (int)peer->channelCount, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, 10000};
			script[n++] = (struct msg){2 % (int)peer->channelCount, ENET_PACKET_FLAG_UNSEQUENCED | ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, 3000};
			size_t rel[] = {0, 1, f - 1, f, f + 1, 3000, 100000, 1000000};
			for (size_t i = 0; i < sizeof rel / sizeof *rel; i++)
				/* libenet 1.3.17's range coder reads past an empty packet buffer
				 * (and crashes on a NULL one): no empty packets with compression. */
				if (rel[i] > 0 || !has(argc, argv, "--range-coder"))
					script[n++] = (struct msg){(int)(i % peer->channelCount), ENET_PACKET_FLAG_RELIABLE, rel[i]};
			connected = 1;
			break;
		}
		case ENET_EVENT_TYPE_RECEIVE: {
			print_recv(&ev);
			ENetPacket *p = ev.packet;
			if (p->flags & ENET_PACKET_FLAG_RELIABLE) {
				int c = ev.channelID;
				if (head[c] == tail[c]) { printf("UNEXPECTED reliable on %d\n", c); bad = 1; }
				else {
					size_t len = want[c][head[c]];
					int seed = wantSeed[c][head[c]];
					head[c]++;
					unsigned char *exp = malloc(len + 1);
					fill(exp, len, (unsigned)seed);
					if (len != p->dataLength || memcmp(exp, p->data, len) != 0) {
						printf("MISMATCH ch=%d len=%zu want=%zu seed=%d\n", c, p->dataLength, len, seed);
						bad = 1;
					}
					free(exp);
					reliableEchoes++;
				}
			} else {
				unrelEchoes++;
			}
			enet_packet_destroy(p);
			break;
		}
		case ENET_EVENT_TYPE_DISCONNECT:
			printf("DISCONNECT data=%08x\n", ev.data);
			printf("RESULT reliable=%d/%d unreliable=%d bad=%d\n", reliableEchoes, reliableSent, unrelEchoes, bad);
			fflush(stdout);
			enet_host_destroy(h);
			return (bad || reliableEchoes != reliableSent) ? 1 : 0;
		default:
			break;
		}
		fflush(stdout);
		if (connected && next < n && loops % 2 == 0) {
			struct msg m = script[next];
			unsigned char *buf = malloc(m.len + 1);
			fill(buf, m.len, (unsigned)next);
			ENetPacket *p = enet_packet_create(buf, m.len, m.flags);
			free(buf);
			if (enet_peer_send(peer, (enet_uint8)m.ch, p) < 0) { enet_packet_destroy(p); printf("SEND FAILED %d\n", next); bad = 1; }
			if (m.flags & ENET_PACKET_FLAG_RELIABLE) {
				want[m.ch][tail[m.ch]] = m.len;
				wantSeed[m.ch][tail[m.ch]++] = next;
				reliableSent++;
			}
			next++;
		}
		if (connected && next == n && reliableEchoes == reliableSent && !deadline) {
			deadline = loops + 50; /* let late unreliable echoes in */
		}
		if (deadline && loops == deadline) enet_peer_disconnect(peer, 0x1234);
	}
	printf("RESULT timeout reliable=%d/%d unreliable=%d\n", reliableEchoes, reliableSent, unrelEchoes);
	return 1;
}

/* Godot's ENetMultiplayerPeer peers: SYSCH_RELIABLE 0, SYSCH_UNRELIABLE 1,
 * SYSCH_MAX 2; transfer modes 0 unreliable, 1 unreliable ordered, 2
 * reliable. */
#define SYSCH_MAX 2

static void godot_channel(int mode, int tch, int *ch, enet_uint32 *flags) {
	*ch = 0;
	*flags = ENET_PACKET_FLAG_RELIABLE;
	if (mode == 0) { *ch = 1; *flags = ENET_PACKET_FLAG_UNSEQUENCED | ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT; }
	if (mode == 1) { *ch = 1; *flags = ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT; }
	if (tch > 0) *ch = SYSCH_MAX + tch - 1;
}

static void godot_print(int from, ENetEvent *ev) {
	ENetPacket *p = ev->packet;
	int mode = (p->flags & ENET_PACKET_FLAG_RELIABLE) ? 2 : (p->flags & ENET_PACKET_FLAG_UNSEQUENCED) ? 0 : 1;
	int ch = ev->channelID >= SYSCH_MAX ? ev->channelID - SYSCH_MAX + 1 : 0;
	printf("PACKET from=%d channel=%d mode=%d ench=%u flags=%u %.*s\n", from, ch, mode, ev->channelID,
	       p->flags & 0xB, (int)p->dataLength, (const char *)p->data);
}

/* read_cmd returns the next complete stdin line (without its newline), or
 * NULL when none is waiting; *eof is set once stdin is closed. */
static char *read_cmd(int *eof) {
	static char buf[4096];
	static size_t len;
	static char line[4096];
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			size_t n = (size_t)(nl - buf);
			memcpy(line, buf, n);
			line[n] = 0;
			memmove(buf, nl + 1, len - n - 1);
			len -= n + 1;
			return line;
		}
		struct pollfd pf = {0, POLLIN, 0};
		if (*eof || len == sizeof buf || poll(&pf, 1, 0) <= 0) return NULL;
		ssize_t r = read(0, buf + len, sizeof buf - len);
		if (r <= 0) { *eof = 1; return NULL; }
		len += (size_t)r;
	}
}

static int godot_client(int argc, char **argv) {
	int port = atoi(argv[2]);
	unsigned id = (unsigned)strtoul(argv[3], NULL, 0);
	int nch = opt(argc, argv, "--channels", 0);
	ENetHost *h = enet_host_create(NULL, 1, 0, 0, 0);
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = (enet_uint16)port;
	ENetPeer *peer = enet_host_connect(h, &addr, nch > 0 ? (size_t)nch + SYSCH_MAX : ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT, id);
	if (!peer) { fprintf(stderr, "connect failed\n"); return 2; }
	int eof = 0, connected = 0;
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 5);
		if (r < 0) return 2;
		while (r > 0) {
			switch (ev.type) {
			case ENET_EVENT_TYPE_CONNECT:
				connected = 1;
				printf("PEER_CONNECTED 1 channels=%zu\n", peer->channelCount);
				break;
			case ENET_EVENT_TYPE_RECEIVE:
				godot_print(1, &ev);
				enet_packet_destroy(ev.packet);
				break;
			case ENET_EVENT_TYPE_DISCONNECT:
				printf(connected ? "PEER_DISCONNECTED 1\n" : "CONNECTION_FAILED\n");
				enet_host_destroy(h);
				return 0;
			default:
				break;
			}
			r = enet_host_check_events(h, &ev);
		}
		char *c;
		while ((c = read_cmd(&eof)) != NULL) {
			int mode, tch, off = 0;
			if (sscanf(c, "send %d %d %n", &mode, &tch, &off) == 2 && off > 0) {
				int ch;
				enet_uint32 flags;
				godot_channel(mode, tch, &ch, &flags);
				ENetPacket *p = enet_packet_create(c + off, strlen(c + off), flags);
				if (enet_peer_send(peer, (enet_uint8)ch, p) < 0) { enet_packet_destroy(p); printf("SEND FAILED\n"); }
				enet_host_flush(h);
			} else if (strcmp(c, "disconnect") == 0) {
				enet_peer_disconnect(peer, 0);
				enet_host_flush(h);
			} else if (strcmp(c, "close") == 0) {
				enet_peer_disconnect_now(peer, 0);
				enet_host_flush(h);
				printf("CLOSED\n");
				enet_host_destroy(h);
				return 0;
			}
		}
		if (eof) { enet_host_destroy(h); return 0; }
	}
}

static int godot_server(int argc, char **argv) {
	int nch = opt(argc, argv, "--channels", 0);
	ENetAddress addr;
	enet_address_set_host_ip(&addr, "127.0.0.1");
	addr.port = 0;
	ENetHost *h = enet_host_create(&addr, (size_t)opt(argc, argv, "--peers", 32), 0,
	                               nch > 0 ? (enet_uint32)(nch + SYSCH_MAX) : 0, 0);
	if (!h) { fprintf(stderr, "host create failed\n"); return 2; }
	ENetAddress bound;
	enet_socket_get_address(h->socket, &bound);
	printf("PORT %u\n", bound.port);
	int eof = 0;
	for (;;) {
		ENetEvent ev;
		int r = enet_host_service(h, &ev, 5);
		if (r < 0) return 2;
		while (r > 0) {
			int id = (int)(size_t)ev.peer->data;
			switch (ev.type) {
			case ENET_EVENT_TYPE_CONNECT: {
				int taken = 0;
				for (size_t i = 0; i < h->peerCount; i++)
					if ((size_t)h->peers[i].data == ev.data && &h->peers[i] != ev.peer) taken = 1;
				if (ev.data < 2 || ev.data > 0x7FFFFFFFu || taken) {
					printf("REFUSED data=%u\n", ev.data);
					enet_peer_reset(ev.peer);
					break;
				}
				ev.peer->data = (void *)(size_t)ev.data;
				printf("PEER_CONNECTED %u channels=%zu\n", ev.data, ev.peer->channelCount);
				break;
			}
			case ENET_EVENT_TYPE_RECEIVE:
				godot_print(id, &ev);
				enet_packet_destroy(ev.packet);
				break;
			case ENET_EVENT_TYPE_DISCONNECT:
				if (id) printf("PEER_DISCONNECTED %d\n", id);
				ev.peer->data = NULL;
				break;
			default:
				break;
			}
			r = enet_host_check_events(h, &ev);
		}
		char *c;
		while ((c = read_cmd(&eof)) != NULL) {
			int target, mode, tch, off = 0;
			if (sscanf(c, "send %d %d %d %n", &target, &mode, &tch, &off) == 3 && off > 0) {
				int ch;
				enet_uint32 flags;
				godot_channel(mode, tch, &ch, &flags);
				ENetPacket *p = enet_packet_create(c + off, strlen(c + off), flags);
				if (target == 0) {
					enet_host_broadcast(h, (enet_uint8)ch, p);
				} else {
					for (size_t i = 0; i < h->peerCount; i++) {
						int pid = (int)(size_t)h->peers[i].data;
						if (!pid || h->peers[i].state != ENET_PEER_STATE_CONNECTED) continue;
						if ((target > 0 && pid == target) || (target < 0 && pid != -target))
							enet_peer_send(&h->peers[i], (enet_uint8)ch, p);
					}
					if (p->referenceCount == 0) enet_packet_destroy(p);
				}
				enet_host_flush(h);
			} else if (sscanf(c, "kick %d", &target) == 1) {
				for (size_t i = 0; i < h->peerCount; i++)
					if ((int)(size_t)h->peers[i].data == target) enet_peer_disconnect(&h->peers[i], 0);
				enet_host_flush(h);
			} else if (strcmp(c, "close") == 0) {
				for (size_t i = 0; i < h->peerCount; i++)
					if (h->peers[i].state == ENET_PEER_STATE_CONNECTED) enet_peer_disconnect_now(&h->peers[i], 0);
				enet_host_flush(h);
				printf("CLOSED\n");
				enet_host_destroy(h);
				return 0;
			}
		}
		if (eof) { enet_host_destroy(h); return 0; }
	}
}

int main(int argc, char **argv) {
	if (enet_initialize() != 0) return 2;
	atexit(enet_deinitialize);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "server") == 0) return server(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "client") == 0) return client(argc, argv);
	if (argc >= 5 && strcmp(argv[1], "bench") == 0) return bench(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sink") == 0) return sink(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "flood") == 0) return flood(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "clients") == 0) return clients(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "godot-client") == 0) return godot_client(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "godot-server") == 0) return godot_server(argc, argv);
	fprintf(stderr, "usage: enetpeer server [--channels N] [--peers N] | client PORT [--channels N] [--data X]\n");
	return 2;
}
