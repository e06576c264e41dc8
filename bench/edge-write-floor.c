/*
 * The floor under `bench:edge`'s fan-out figure, without Bun or JavaScript: one ~420-byte line
 * written to each of N loopback TCP connections (TCP_NODELAY), as an edge broadcasts a notify.
 * A forked client process holds the other ends and, in "read" mode, reads them with epoll as the
 * benchmark's load generator does; in "noread" mode it never reads, so only the sender's cost is
 * left (the kernel still runs the receiver's TCP path inside each write on loopback). With
 * `threads` > 1 the writes are split over that many threads, as worker processes would split them.
 *
 *   cc -O2 -pthread bench/edge-write-floor.c -o /tmp/edge-write-floor
 *   /tmp/edge-write-floor 10000 read 1      # N, read|noread, writer threads
 *
 * Prints, per round: the write loop's wall and CPU time, µs per write(), and publish → last line
 * received at the client (read mode). Needs 2N + a few file descriptors across the two processes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define LINE_BYTES 420

static int *server_fds;
static int clients;
static int threads;
static char line[LINE_BYTES];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of the whole process (all threads), ms. */
static double cpu_ms(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static void *write_share(void *arg) {
  for (int i = (int)(long)arg; i < clients; i += threads) {
    if (write(server_fds[i], line, LINE_BYTES) != LINE_BYTES) {
      perror("write");
      exit(1);
    }
  }
  return NULL;
}

/* The client side: connects N sockets, then per round reads one line from every socket (or not). */
static void run_client(struct sockaddr_in *addr, int go_fd, int done_fd, int read_mode) {
  int ep = epoll_create1(0);
  int *fds = malloc(clients * sizeof(int));
  for (int i = 0; i < clients; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fds[i], (struct sockaddr *)addr, sizeof *addr) != 0) {
      perror("connect");
      exit(1);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  char *buf = malloc(65536);
  struct epoll_event *events = malloc(1024 * sizeof *events);
  for (int r = 0; r < ROUNDS; r++) {
    double published;
    if (read(go_fd, &published, sizeof published) != sizeof published) exit(1);
    double last = published;
    for (int got = 0; read_mode && got < clients;) {
      int n = epoll_wait(ep, events, 1024, 5000);
      if (n <= 0) break;
      for (int j = 0; j < n; j++)
        if (read(fds[events[j].data.u32], buf, 65536) > 0) got++;
      last = now_ms();
    }
    double elapsed = last - published;
    if (write(done_fd, &elapsed, sizeof elapsed) != sizeof elapsed) exit(1);
  }
  /* Keep the sockets open until the writer is done with them; it kills this process. */
  for (;;) pause();
}

int main(int argc, char **argv) {
  clients = argc > 1 ? atoi(argv[1]) : 10000;
  int read_mode = !(argc > 2 && strcmp(argv[2], "noread") == 0);
  threads = argc > 3 ? atoi(argv[3]) : 1;
  if (clients < 1 || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: %s <clients> [read|noread] [threads 1..64]\n", argv[0]);
    return 2;
  }
  memset(line, 'a', LINE_BYTES);
  line[LINE_BYTES - 1] = '\n';

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4096) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
    perror("listen");
    return 1;
  }
  int go[2], done[2];
  if (pipe(go) != 0 || pipe(done) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(listener);
    run_client(&addr, go[0], done[1], read_mode);
  }

  server_fds = malloc(clients * sizeof(int));
  for (int i = 0; i < clients; i++) {
    server_fds[i] = accept(listener, NULL, NULL);
    if (server_fds[i] < 0) {
      perror("accept");
      return 1;
    }
    setsockopt(server_fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  usleep(300000);
  for (int r = 0; r < ROUNDS; r++) {
    double published = now_ms();
    if (write(go[1], &published, sizeof published) != sizeof published) return 1;
    double cpu0 = cpu_ms(), wall0 = now_ms();
    pthread_t tid[64];
    for (long t = 0; t < threads; t++) pthread_create(&tid[t], NULL, write_share, (void *)t);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    double wall = now_ms() - wall0, cpu = cpu_ms() - cpu0;
    double received;
    if (read(done[0], &received, sizeof received) != sizeof received) return 1;
    printf("%d clients, %s, %d thread%s, round %d: write loop %.1f ms (%.1f ms CPU, %.2f us per write); publish -> last line received %s%.1f ms\n", clients, read_mode ? "read" : "noread", threads,
           threads == 1 ? "" : "s", r, wall, cpu, wall * 1000 / clients, read_mode ? "" : "(not read) ", received);
    fflush(stdout);
    usleep(300000);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return 0;
}
