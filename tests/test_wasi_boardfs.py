# The filesystem tests of test_wasi_fs.py again, on the filesystems boards use: littlefs2 and
# FAT in a RAM block device, mounted in the MicroPython unix port (CPython has neither).
import os
import sys

from support import skip
import test_wasi_fs


class RAMBlockDev:
    """The extended block device protocol (readblocks/writeblocks with offsets, ioctl)."""

    def __init__(self, block_size, num_blocks):
        self.block_size = block_size
        self.data = bytearray(block_size * num_blocks)

    def readblocks(self, n, buf, offset=0):
        a = n * self.block_size + offset
        buf[:] = self.data[a:a + len(buf)]

    def writeblocks(self, n, buf, offset=0):
        a = n * self.block_size + offset
        self.data[a:a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.block_size
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            return 0


def _run_all_on(vfs_name, block_size, blocks):
    vfs_cls = getattr(os, vfs_name, None)
    if sys.implementation.name != "micropython" or vfs_cls is None:
        skip("%s needs the MicroPython unix port" % vfs_name)
    bdev = RAMBlockDev(block_size, blocks)
    vfs_cls.mkfs(bdev)
    mount = "/wasi_" + vfs_name.lower()
    os.mount(vfs_cls(bdev), mount)
    counter = [0]

    def scratch():
        counter[0] += 1
        d = "%s/t%d" % (mount, counter[0])
        os.mkdir(d)
        return d

    saved = test_wasi_fs.scratch
    test_wasi_fs.scratch = scratch
    failures = []
    try:
        for name in sorted(dir(test_wasi_fs)):
            if not name.startswith("test_") or name == "test_symlinks_and_links":
                continue
            try:
                getattr(test_wasi_fs, name)()
            except Exception as e:
                sys.print_exception(e)
                failures.append("%s: %r" % (name, e))
    finally:
        test_wasi_fs.scratch = saved
        os.umount(mount)
    assert failures == [], failures


def test_fs_on_littlefs():
    _run_all_on("VfsLfs2", 512, 1024)


def test_fs_on_fat():
    _run_all_on("VfsFat", 512, 1024)

