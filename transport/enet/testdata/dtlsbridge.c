/* dtlsbridge: Godot's ENet DTLS client side on mbedTLS, for dtls_test.go.
 *
 *   dtlsbridge PORT HOSTNAME
 *
 * Makes a DTLS 1.2 client on mbedTLS as Godot's
 * ENetConnection.dtls_client_setup(HOSTNAME, TLSOptions.client_unsafe())
 * does (default preset, datagram transport, no verification; HOSTNAME is
 * passed to mbedtls_ssl_set_hostname, so "" sends a server_name extension
 * holding an empty name), and completes the handshake with 127.0.0.1:PORT.
 * Then it prints "BRIDGE <port>" for a plain UDP socket on 127.0.0.1: each
 * datagram received there goes to the server as one DTLS record, and each
 * record from the server goes back to the last sender as one datagram, so
 * an ENet host on that socket talks ENet over DTLS exactly as Godot's
 * patched ENet does. Exits when stdin closes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>

static void fail(const char *what, int ret) {
    char buf[200];
    mbedtls_strerror(ret, buf, sizeof buf);
    printf("FAIL %s: -0x%04x %s\n", what, (unsigned)-ret, buf);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 3) {
        fprintf(stderr, "usage: dtlsbridge PORT HOSTNAME\n");
        return 2;
    }
    const char *pers = "packetpeer dtlsbridge";
    mbedtls_net_context fd;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_timing_delay_context timer;
    mbedtls_net_init(&fd);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int ret;
    if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers, strlen(pers))) != 0 ||
        (ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        fail("config", ret);
        return 1;
    }
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_read_timeout(&conf, 10000);
    if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0 || (ret = mbedtls_ssl_set_hostname(&ssl, argv[2])) != 0) {
        fail("setup", ret);
        return 1;
    }
    mbedtls_ssl_set_timer_cb(&ssl, &timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);
    if ((ret = mbedtls_net_connect(&fd, "127.0.0.1", argv[1], MBEDTLS_NET_PROTO_UDP)) != 0) {
        fail("connect", ret);
        return 1;
    }
    mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
    do {
        ret = mbedtls_ssl_handshake(&ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret != 0) {
        fail("handshake", ret);
        return 1;
    }
    printf("HANDSHAKE OK %s %s\n", mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl));

    int plain = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (plain < 0 || bind(plain, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(plain, (struct sockaddr *)&a, &alen) != 0) {
        printf("FAIL plain socket: %s\n", strerror(errno));
        return 1;
    }
    printf("BRIDGE %u\n", ntohs(a.sin_port));
    /* From now on reads must not wait: a non-blocking socket and no
     * recv_timeout callback (which would select without a limit). */
    mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, mbedtls_net_recv, NULL);
    mbedtls_net_set_nonblock(&fd);
    struct sockaddr_in last = {0};
    socklen_t lastLen = 0;
    unsigned char buf[65536];
    for (;;) {
        struct pollfd pf[3] = {{plain, POLLIN, 0}, {fd.fd, POLLIN, 0}, {0, POLLIN, 0}};
        if (poll(pf, 3, 1000) < 0 && errno != EINTR) return 1;
        if (pf[2].revents) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) break;
        }
        if (pf[0].revents & POLLIN) {
            lastLen = sizeof last;
            ssize_t n = recvfrom(plain, buf, sizeof buf, 0, (struct sockaddr *)&last, &lastLen);
            if (n > 0) {
                do {
                    ret = mbedtls_ssl_write(&ssl, buf, (size_t)n);
                } while (ret == MBEDTLS_ERR_SSL_WANT_WRITE);
                if (ret < 0) {
                    fail("write", ret);
                    return 1;
                }
            }
        }
        for (;;) {
            ret = mbedtls_ssl_read(&ssl, buf, sizeof buf);
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_TIMEOUT) break;
            if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
                printf("PEER CLOSE_NOTIFY\n");
                goto out;
            }
            if (ret < 0) {
                fail("read", ret);
                return 1;
            }
            if (lastLen) sendto(plain, buf, (size_t)ret, 0, (struct sockaddr *)&last, lastLen);
        }
    }
out:
    mbedtls_ssl_close_notify(&ssl);
    mbedtls_net_free(&fd);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return 0;
}
