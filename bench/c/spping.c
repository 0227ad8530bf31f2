/*
 * A small C client for the round-trip benchmark, speaking the Spread client wire protocol
 * (shared/spec/client-protocol.md) with blocking sockets, as the C reference's "small client
 * that sets the service" did. It takes flood-client.ts's ping and reflect modes and prints the
 * same JSON, so that the daemon can be measured without a Node client's own wake-up costs.
 *
 *   spping --target PORT@HOST|PORT --name NAME --mode ping|reflect [--size N] [--count N]
 *          [--warmup N] [--members N] [--service agreed|safe] [--interval-ms N]
 *
 * --interval-ms: a pause before each ping, so that the ring goes idle between them (sparse traffic).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HEADER_BYTES 48
#define GROUP_NAME 32
#define LITTLE_ENDIAN_MARKER 0x80000080u
#define AGREED_MESS 0x00000010u
#define SAFE_MESS 0x00000020u
#define SELF_DISCARD 0x00000040u
#define MEMBERSHIP_MESS 0x00003f00u
#define REG_MEMB_MESS 0x00001000u
#define REJECT_MESS 0x00400000u
#define JOIN_MESS 0x00010000u
#define AUTH_CHOICE_BYTES 90

static void die(const char *what) {
  fprintf(stderr, "spping: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
  exit(2);
}

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) die("write");
    p += k;
    n -= (size_t)k;
  }
}

static void read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t k = read(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) {
      errno = 0;
      die("the daemon closed the connection");
    }
    if (k < 0) die("read");
    p += k;
    n -= (size_t)k;
  }
}

static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

/* The daemon writes headers in its own byte order; the marker bits tell which. */
static uint32_t field(const unsigned char *h, int off) {
  uint32_t v = get32(h + off);
  int little = (get32(h) & LITTLE_ENDIAN_MARKER) == LITTLE_ENDIAN_MARKER;
  return little ? v : __builtin_bswap32(v);
}

static int open_target(const char *target) {
  char port[16], host[256] = "";
  const char *at = strchr(target, '@');
  if (at != NULL) {
    snprintf(port, sizeof port, "%.*s", (int)(at - target), target);
    snprintf(host, sizeof host, "%s", at + 1);
  } else {
    snprintf(port, sizeof port, "%s", target);
  }
  int fd;
  if (host[0] == '\0') {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "/tmp/%s", port);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect (unix)");
    return fd;
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("host must be an IPv4 address");
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Connect request, NULL authentication, accept reply: returns the private group name. */
static void handshake(int fd, const char *name, char private_group[GROUP_NAME]) {
  unsigned char req[5 + 10];
  size_t n = strlen(name) > 10 ? 10 : strlen(name);
  req[0] = 5, req[1] = 0, req[2] = 1, req[3] = 0x01 /* membership messages */, req[4] = (unsigned char)n;
  memcpy(req + 5, name, n);
  write_all(fd, req, 5 + n);
  unsigned char len, methods[256];
  read_all(fd, &len, 1);
  read_all(fd, methods, len);
  unsigned char choice[AUTH_CHOICE_BYTES] = {0};
  memcpy(choice, "NULL", 4);
  write_all(fd, choice, sizeof choice);
  unsigned char accept[5];
  read_all(fd, accept, 5);
  if (accept[0] != 1) {
    errno = 0;
    fprintf(stderr, "spping: rejected with code %d\n", (signed char)accept[0]);
    exit(2);
  }
  memset(private_group, 0, GROUP_NAME);
  read_all(fd, private_group, accept[4] < GROUP_NAME ? accept[4] : GROUP_NAME - 1);
}

static void header(unsigned char *h, uint32_t type, const char *sender, int num_groups, uint32_t hint, int data_len) {
  memset(h, 0, HEADER_BYTES);
  put32(h, type | LITTLE_ENDIAN_MARKER);
  size_t n = strnlen(sender, GROUP_NAME - 1);
  memcpy(h + 4, sender, n);
  put32(h + 36, (uint32_t)num_groups);
  put32(h + 40, hint);
  put32(h + 44, (uint32_t)data_len);
}

struct message {
  uint32_t type;
  int num_groups;
};

/* Reads one whole message from the daemon; its body is discarded. */
static struct message receive(int fd, unsigned char *scratch, size_t scratch_size) {
  unsigned char h[HEADER_BYTES];
  read_all(fd, h, HEADER_BYTES);
  struct message m = {field(h, 0), (int)field(h, 36)};
  size_t rest = (size_t)m.num_groups * GROUP_NAME + field(h, 44);
  while (rest > 0) {
    size_t k = rest < scratch_size ? rest : scratch_size;
    read_all(fd, scratch, k);
    rest -= k;
  }
  return m;
}

static int is_data(uint32_t type) { return (type & MEMBERSHIP_MESS) == 0 || (type & REJECT_MESS) != 0; }

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *target = NULL, *name = "spping", *mode = "ping", *service = "agreed";
  int size = 100, count = 1000, warmup = 200, members = 2;
  double interval_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--target")) target = v;
    else if (!strcmp(k, "--name")) name = v;
    else if (!strcmp(k, "--mode")) mode = v;
    else if (!strcmp(k, "--service")) service = v;
    else if (!strcmp(k, "--size")) size = atoi(v);
    else if (!strcmp(k, "--count")) count = atoi(v);
    else if (!strcmp(k, "--warmup")) warmup = atoi(v);
    else if (!strcmp(k, "--members")) members = atoi(v);
    else if (!strcmp(k, "--interval-ms")) interval_ms = atof(v);
    /* flood-client's other options (--senders) mean nothing here */
  }
  int ping = !strcmp(mode, "ping");
  if (target == NULL || (!ping && strcmp(mode, "reflect")) || size < 0 || count < 1) {
    errno = 0;
    fprintf(stderr, "usage: spping --target PORT@HOST|PORT --name NAME --mode ping|reflect [--size N] [--count N] [--warmup N] [--members N] [--service agreed|safe] [--interval-ms N]\n");
    return 2;
  }
  int fd = open_target(target);
  char me[GROUP_NAME];
  handshake(fd, name, me);

  unsigned char join[HEADER_BYTES + GROUP_NAME] = {0};
  header(join, JOIN_MESS, me, 1, LITTLE_ENDIAN_MARKER, 0);
  strcpy((char *)join + HEADER_BYTES, "ping");
  write_all(fd, join, sizeof join);
  size_t scratch_size = 1 << 16;
  unsigned char *scratch = malloc(scratch_size);
  for (;;) {
    struct message m = receive(fd, scratch, scratch_size);
    if ((m.type & REG_MEMB_MESS) && !is_data(m.type) && m.num_groups >= members) break;
  }

  /* The message: header, one destination, `size` bytes; the same bytes for every ping. */
  size_t total = HEADER_BYTES + GROUP_NAME + (size_t)size;
  unsigned char *msg = calloc(1, total);
  uint32_t svc = (strcmp(service, "safe") ? AGREED_MESS : SAFE_MESS) | SELF_DISCARD;
  header(msg, svc, me, 1, ((uint32_t)(ping ? 0 : 1) << 8) | LITTLE_ENDIAN_MARKER, size);
  strcpy((char *)msg + HEADER_BYTES, "ping");
  memset(msg + HEADER_BYTES + GROUP_NAME, 0x61, (size_t)size);

  if (!ping) {
    printf("{\"ready\":true}\n");
    fflush(stdout);
    for (;;) {
      struct message m = receive(fd, scratch, scratch_size);
      if (is_data(m.type)) write_all(fd, msg, total);
    }
  }
  double *rtts = malloc(sizeof(double) * (size_t)count);
  for (int i = -warmup; i < count; i++) {
    if (interval_ms > 0) {
      struct timespec pause = {(time_t)(interval_ms / 1e3), (long)(interval_ms * 1e6) % 1000000000L};
      nanosleep(&pause, NULL);
    }
    double t0 = now_ms();
    write_all(fd, msg, total);
    while (!is_data(receive(fd, scratch, scratch_size).type)) {
    }
    if (i >= 0) rtts[i] = now_ms() - t0;
  }
  qsort(rtts, (size_t)count, sizeof(double), by_value);
#define Q(p) rtts[(int)((p) * count) < count ? (int)((p) * count) : count - 1]
  printf("{\"p50_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"max_ms\":%.6f,\"count\":%d}\n", Q(0.5), Q(0.9), Q(0.99), rtts[count - 1], count);
  return 0;
}
