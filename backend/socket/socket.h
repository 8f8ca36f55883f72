/*
 * socket.h: the Docker socket path from the guest to the host.
 * socket-forward.c runs and supervises `ssh -N -L HOST_SOCK:GUEST_SOCK` (or
 * only checks a socket that is already there, for docker.forward: none),
 * socket-health.c checks the host socket's path and pings the daemon,
 * socket-ssh.c holds what every ssh berth runs shares (key, arguments),
 * socket-supervisor.c finds, starts and stops the forward's owner,
 * socket-ports.c carries published ports over its control master,
 * socket-context.c keeps a Docker context pointing at the host socket, and
 * socket.c plugs them into the engine as the Socket component.
 */

#ifndef BERTH_SOCKET_H
#define BERTH_SOCKET_H

#include <jansson.h>
#include <signal.h>

#include "core/core.h"

/* socket-forward.c: runs and supervises ssh -L for the host socket. */
struct forward;

struct forward *forward_new(const struct profile *, int);
void forward_free(struct forward *);
void forward_set_target(struct forward *, const char *);
int forward_prepare(struct forward *, struct pollfd *, int, int *);
void forward_dispatch(struct forward *, const struct pollfd *, int);
void forward_tick(struct forward *);
int forward_pending(struct forward *);
void forward_restart(struct forward *);
void forward_stop(struct forward *);
void forward_fill(struct forward *, struct model_socket *);
char *forward_take_message(struct forward *, int *);
int forward_is_owner(const struct forward *);
const char *forward_path(const struct forward *);
int forward_from_vm(const struct forward *);
int forward_run(struct forward *, int, volatile sig_atomic_t *,
                volatile sig_atomic_t *, int);

/* socket-health.c: whether a host socket may be used and answers. */
int health_socket_live(const char *);
int health_path_refused(const char *, char **);
int health_check_path(const char *, const char *, int *, char **);
int health_ping(const char *, long, double *, char **, char **);
char *health_engine_version(const char *, long);

/* socket-ssh.c: the profile's ssh key and the arguments of every ssh. */
int ssh_ensure_key(const char *, const char *, char **, char **, char **);
int ssh_args(char **, const char *, const char *, const char *, const char *,
             const char *, char *[2]);
int ssh_ctl(const char *, const char *, const char *, const char *, char **);

/* socket-supervisor.c: the state dir, the forward's owner, supervisors. */
char *supervisor_state_dir(const char *, char **);
int supervisor_owned_has(const char *);
void supervisor_owned_set(const char *, int);
pid_t supervisor_owner_pid(const char *, int *);
int supervisor_stop(const char *, char **);
int supervisor_spawn(const char *, const char *, char **);
int supervisor_ensure(const struct profile *, const char *, char **);

/* socket-ports.c: published ports over the forward's control master. */
struct ports;

/* Adds (op "forward") or cancels (op "cancel") a -L spec on the ssh. */
typedef int (*ports_ctl_fn)(void *, const char *, const char *, char **);

struct ports *ports_new(const char *, ports_ctl_fn, void *);
void ports_free(struct ports *);
void ports_tick(struct ports *, int);
int ports_prepare(struct ports *, struct pollfd *, int, int *);
void ports_dispatch(struct ports *, const struct pollfd *, int, int);
json_t *ports_json(const struct ports *);
void ports_fill(json_t *, struct model_socket *);

/* socket.c: the Socket engine component. */
extern const struct engine_component socket_component;

/* socket-context.c: Docker contexts in Docker's own store format. */
char *context_docker_config_dir(void);
char *context_meta_path(const char *, const char *);
char *context_meta_json(const char *, const char *, const char *);
int context_write(const char *, const char *, const char *, char **);
int context_current(char **, char **);
int context_exists(const char *);
int context_activate(const char *, const char *, char **);
int context_deactivate(const char *, const char *, char **, char **);
int context_remove(const char *, const char *, const char *, char **);

#endif /* BERTH_SOCKET_H */
