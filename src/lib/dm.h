/* Device-mapper thin pools, images and snapshot root filesystems (libdevmapper, no dmsetup).
 *
 * A pool is a `thin-pool` target over a data and a metadata device (files attached to loop devices,
 * or block devices).  Images and containers' root filesystems are thin devices of the pool; a
 * container's is a snapshot (`create_snap`) of its image, O(1) whatever the image's size.
 *
 * Bookkeeping lives in POOLDIR/<pool>/pool.json (POOLDIR: $OCIRT_POOL_DIR or /var/lib/ocirt/pools),
 * written atomically BEFORE each device-mapper message: a device is recorded "creating" (and the id
 * counter advanced) before `create_thin`/`create_snap`, "deleting" before `delete`.  Opening a pool
 * (under its flock, held for the whole operation since libdevmapper is not thread-safe) finishes what
 * a crash left: records still "creating" or "deleting" are unmounted, deactivated, deleted from the
 * pool and dropped.  Ids are never reused. */
#ifndef OCIRT_DM_H
#define OCIRT_DM_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <stdint.h>

#define DM_ANNOTATION_IMAGE "org.ocirt.rootfs.image"
#define DM_ANNOTATION_POOL "org.ocirt.rootfs.pool"
#define DM_ANNOTATION_KEEP "org.ocirt.rootfs.keep"

/* New snapshots are refused when the pool's data or metadata use reaches this percentage. */
#define DM_POOL_FULL_PERCENT 90

typedef struct {
  const char *name;
  const char *data, *metadata; /* files (made sparse when missing) or block devices */
  uint64_t size;               /* data size for a new data file; 0: the file's size */
  uint64_t metadata_size;      /* for a new metadata file; 0: 16 MiB */
  uint64_t block_size;         /* bytes, a multiple of 64 KiB; 0: 64 KiB */
} thinpool_options;

typedef struct {
  bool active;
  uint64_t transaction_id;
  uint64_t data_used, data_total;         /* bytes */
  uint64_t metadata_used, metadata_total; /* bytes */
  char mode[32];                          /* rw, ro, out_of_data_space */
} thinpool_usage;

/* Parse a size like 512, 64K, 10M, 1G, 2T (powers of 1024); -1 when it is not one. */
int size_parse(const char *s, uint64_t *out);
/* The folder of the pools' metadata. */
const char *thinpool_dir(void);

int thinpool_create(const thinpool_options *o, ocirt_error *err);
/* Attach the loop devices and load the table again (after a reboot); nothing when active. */
int thinpool_activate(const char *name, ocirt_error *err);
/* Refused while the pool holds devices, unless force (which unmounts and removes them all). */
int thinpool_destroy(const char *name, bool force, ocirt_error *err);
/* The names of every pool (sorted); *out is NULL-terminated. */
int thinpool_names(char ***out, ocirt_error *err);
/* A pool's metadata (after reconciling it) and usage. */
int thinpool_get(const char *name, oci_dm_pool **meta, thinpool_usage *usage, ocirt_error *err);

/* pool NULL: the only pool there is. */
int image_import(const char *pool, const char *name, const char *source, uint64_t size, ocirt_error *err);
/* Bytes a device maps now (activating it for a moment when inactive). */
int image_device_used(const char *pool, uint32_t id, uint64_t size, uint64_t *used, ocirt_error *err);
/* A snapshot of a container's root filesystem becomes image `name`, child of the container's image. */
int image_commit(const char *container, const char *name, ocirt_error *err);
/* Remove an image (refused while containers or images are made from it), or a kept container rootfs. */
int image_rm(const char *pool, const char *name, ocirt_error *err);

/* Whether a config asks for a snapshot root filesystem (its annotation). */
bool dm_rootfs_wanted(const oci_spec *spec);
/* Snapshot the config's image for container `id`, activate and mount it; *mountpoint gets where. */
int dm_rootfs_prepare(const oci_spec *spec, const char *id, char **mountpoint, ocirt_error *err);
/* Unmount and deactivate container `id`'s root filesystem, and delete it unless keep (or the
 * config's keep annotation).  No device for `id`: nothing to do. */
int dm_rootfs_release(const oci_spec *spec, const char *id, bool keep, ocirt_error *err);

#endif
