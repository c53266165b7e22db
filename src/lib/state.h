/* The state folder of a container, ROOT/ID/: state.json (ocirt's record), config.json (the copy
 * create saw), exec.fifo (present while the container is `created`).
 *
 * Commands that change a container hold an exclusive flock on its folder; readers (state, list)
 * take no lock and rely on state.json being replaced atomically. */
#ifndef OCIRT_STATE_H
#define OCIRT_STATE_H
#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <sys/types.h>

#define STATE_FILE "state.json"
#define STATE_CONFIG "config.json"
#define STATE_FIFO "exec.fifo"

typedef struct {
  char *id;
  int root_fd; /* the state root */
  int dir_fd;  /* ROOT/ID, locked when opened with state_create or state_lock */
  oci_container_status *status; /* NULL until loaded */
} container_handle;

#define CONTAINER_HANDLE_INIT { NULL, -1, -1, NULL }

/* A container id: 1-1024 of [A-Za-z0-9_.+-], not "." or "..". */
int state_validate_id(const char *id, ocirt_error *err);
/* Make ROOT/ID and lock it; fails with EEXIST when the container exists. */
int state_create(const char *root, const char *id, container_handle *h, ocirt_error *err);
/* Open ROOT/ID, locked (`lock`) or not; ENOENT in err->errno_value when it does not exist. */
int state_open(const char *root, const char *id, bool lock, container_handle *h, ocirt_error *err);
/* Read state.json into h->status. */
int state_load(container_handle *h, ocirt_error *err);
/* Write h->status to state.json atomically. */
int state_save(container_handle *h, ocirt_error *err);
/* Remove the state folder and everything in it. */
int state_destroy(container_handle *h, ocirt_error *err);
void state_close(container_handle *h);
#define cleanup_handle __attribute__((cleanup(state_close)))

/* The container's status now: "created", "running", "paused" or "stopped", from the recorded pid
 * (checked against its start time, so a reused pid is not mistaken for the container) and the
 * presence of exec.fifo.  *alive says whether the init process still exists. */
const char *state_live_status(container_handle *h, bool *alive);

/* The ids in ROOT, sorted. */
int state_list_ids(const char *root, char ***ids, size_t *n, ocirt_error *err);
#endif
