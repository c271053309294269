/*
 * dtls_peer: a minimal DTLS 1.2 client or server on mbedTLS, the library
 * Godot's PacketPeerDTLS and DTLSServer use, configured as Godot does:
 * default preset, datagram transport, verification required on the client,
 * HelloVerifyRequest cookies on the server. Used by mbedtls_test.go.
 *
 *   dtls_peer client HOST PORT CA_PEM SERVER_NAME
 *   dtls_peer server HOST PORT CERT_PEM KEY_PEM
 *
 * A client CA_PEM of "-" turns verification off (Godot's
 * TLSOptions.client_unsafe()); SERVER_NAME is passed to
 * mbedtls_ssl_set_hostname as Godot's connect_to_peer passes its hostname,
 * so "" makes mbedTLS send a server_name extension with an empty name.
 *
 * It prints one line per event on stdout and exits non-zero on failure.
 * Written for the packetpeer tests; builds against mbedTLS 2.28 and 3.x.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/timing.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

static void fail(const char *what, int ret) {
    char buf[200];
    mbedtls_strerror(ret, buf, sizeof buf);
    printf("FAIL %s: -0x%04x %s\n", what, (unsigned)-ret, buf);
}

static int handshake(mbedtls_ssl_context *ssl) {
    int ret;
    do {
        ret = mbedtls_ssl_handshake(ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    return ret;
}

static int read_line(mbedtls_ssl_context *ssl) {
    unsigned char buf[16384];
    int ret;
    do {
        ret = mbedtls_ssl_read(ssl, buf, sizeof buf - 1);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret > 0) {
        buf[ret] = 0;
        printf("GOT %s\n", buf);
    }
    return ret;
}

static int write_msg(mbedtls_ssl_context *ssl, const char *msg) {
    int ret;
    do {
        ret = mbedtls_ssl_write(ssl, (const unsigned char *)msg, strlen(msg));
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    return ret;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 6) {
        fprintf(stderr, "usage: dtls_peer client HOST PORT CA_PEM NAME | server HOST PORT CERT KEY\n");
        return 2;
    }
    int server = strcmp(argv[1], "server") == 0;
    const char *pers = "packetpeer dtls_peer";
    int ret, code = 1;

    mbedtls_net_context listen_fd, fd;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_cookie_ctx cookie;
    mbedtls_timing_delay_context timer;

    mbedtls_net_init(&listen_fd);
    mbedtls_net_init(&fd);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_cookie_init(&cookie);

    if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                     (const unsigned char *)pers, strlen(pers))) != 0) {
        fail("seed", ret);
        goto out;
    }
    int verify = server || strcmp(argv[4], "-") != 0;
    if (verify && (ret = mbedtls_x509_crt_parse_file(&crt, argv[4])) != 0) {
        fail("parse certificate", ret);
        goto out;
    }
    if ((ret = mbedtls_ssl_config_defaults(&conf, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                           MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        fail("config", ret);
        goto out;
    }
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_read_timeout(&conf, 10000);

    if (server) {
#if MBEDTLS_VERSION_MAJOR >= 3
        ret = mbedtls_pk_parse_keyfile(&key, argv[5], NULL, mbedtls_ctr_drbg_random, &drbg);
#else
        ret = mbedtls_pk_parse_keyfile(&key, argv[5], NULL);
#endif
        if (ret != 0) {
            fail("parse key", ret);
            goto out;
        }
        if ((ret = mbedtls_ssl_conf_own_cert(&conf, &crt, &key)) != 0) {
            fail("own cert", ret);
            goto out;
        }
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        if ((ret = mbedtls_ssl_cookie_setup(&cookie, mbedtls_ctr_drbg_random, &drbg)) != 0) {
            fail("cookie setup", ret);
            goto out;
        }
        mbedtls_ssl_conf_dtls_cookies(&conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &cookie);
    } else if (verify) {
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&conf, &crt, NULL);
    } else {
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0) {
        fail("setup", ret);
        goto out;
    }
    mbedtls_ssl_set_timer_cb(&ssl, &timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);

    if (server) {
        if ((ret = mbedtls_net_bind(&listen_fd, argv[2], argv[3], MBEDTLS_NET_PROTO_UDP)) != 0) {
            fail("bind", ret);
            goto out;
        }
        printf("LISTENING\n");
        for (;;) {
            unsigned char ip[16];
            size_t iplen;
            mbedtls_net_free(&fd);
            mbedtls_ssl_session_reset(&ssl);
            if ((ret = mbedtls_net_accept(&listen_fd, &fd, ip, sizeof ip, &iplen)) != 0) {
                fail("accept", ret);
                goto out;
            }
            if ((ret = mbedtls_ssl_set_client_transport_id(&ssl, ip, iplen)) != 0) {
                fail("transport id", ret);
                goto out;
            }
            mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
            ret = handshake(&ssl);
            if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
                printf("HELLO VERIFY REQUIRED\n"); /* as Godot: drop and wait for the cookie */
                continue;
            }
            break;
        }
    } else {
        if ((ret = mbedtls_net_connect(&fd, argv[2], argv[3], MBEDTLS_NET_PROTO_UDP)) != 0) {
            fail("connect", ret);
            goto out;
        }
        if ((ret = mbedtls_ssl_set_hostname(&ssl, argv[5])) != 0) {
            fail("hostname", ret);
            goto out;
        }
        mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
        ret = handshake(&ssl);
    }
    if (ret != 0) {
        fail("handshake", ret);
        if (!server) {
            printf("VERIFY FLAGS 0x%x\n", (unsigned)mbedtls_ssl_get_verify_result(&ssl));
        }
        goto out;
    }
    printf("HANDSHAKE OK %s %s\n", mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl));

    if (server) {
        if ((ret = read_line(&ssl)) <= 0) {
            fail("read", ret);
            goto out;
        }
        if ((ret = write_msg(&ssl, "hello from mbedtls")) < 0) {
            fail("write", ret);
            goto out;
        }
        ret = read_line(&ssl);
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            printf("PEER CLOSE_NOTIFY\n");
            code = 0;
        } else {
            fail("waiting for close_notify", ret);
        }
    } else {
        if ((ret = write_msg(&ssl, "hello from mbedtls")) < 0) {
            fail("write", ret);
            goto out;
        }
        if ((ret = read_line(&ssl)) <= 0) {
            fail("read", ret);
            goto out;
        }
        do {
            ret = mbedtls_ssl_close_notify(&ssl);
        } while (ret == MBEDTLS_ERR_SSL_WANT_WRITE);
        printf("SENT CLOSE_NOTIFY\n");
        code = 0;
    }
out:
    mbedtls_net_free(&fd);
    mbedtls_net_free(&listen_fd);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_ssl_cookie_free(&cookie);
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return code;
}
