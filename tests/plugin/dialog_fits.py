#!/usr/bin/env python3
"""Checks that a plug-in dialog fits the screen, with its OK button on it.

    dialog_fits.py XWININFO.txt DIALOG.log SCREEN_WxH SENSITIVE [MIN_PREVIEW]

XWININFO.txt is `xwininfo -id` of the dialog's window (its absolute
position and size); DIALOG.log holds the plug-in's test report
("vka-dialog: window WxH, OK at X,Y WxH, sensitive S", printed when
VKA_PLUGIN_DIALOG_TIMEOUT closes the dialog). SENSITIVE: 1 or 0, what the
OK button must be. Prints one line; exits 0 when the whole window and the
whole OK button lie on the screen and OK's sensitivity is as expected, 1
when not, 2 when a file lacks what it should hold. With MIN_PREVIEW, the
report's "vka-dialog: preview at X,Y WxH of X0,Y0..X1,Y1" must also show a
preview at least MIN_PREVIEW pixels on each side (or the whole layer where
it is smaller) placed at the layer's centre (to a pixel). Standard library
only.
"""
import re
import sys


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    info = open(sys.argv[1]).read()
    log = open(sys.argv[2], errors="replace").read()
    sw, sh = (int(v) for v in sys.argv[3].split("x"))
    want = int(sys.argv[4])
    fields = {}
    for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"):
        m = re.search(r"^\s*" + key + r":\s*(-?\d+)", info, re.M)
        if not m:
            print(f"dialog_fits: no '{key}' in {sys.argv[1]}")
            return 2
        fields[key] = int(m.group(1))
    m = re.search(r"vka-dialog: window (\d+)x(\d+), OK at (-?\d+),(-?\d+) (\d+)x(\d+), "
                  r"sensitive (\d)", log)
    if not m:
        print(f"dialog_fits: no vka-dialog report in {sys.argv[2]}")
        return 2
    ox, oy, ow, oh, sens = (int(m.group(i)) for i in range(3, 8))
    wx, wy = fields["Absolute upper-left X"], fields["Absolute upper-left Y"]
    ww, wh = fields["Width"], fields["Height"]
    ax, ay = wx + ox, wy + oy
    window_on = wx >= 0 and wy >= 0 and wx + ww <= sw and wy + wh <= sh
    ok_on = ax >= 0 and ay >= 0 and ax + ow <= sw and ay + oh <= sh and ow > 0 and oh > 0
    print(f"window {ww}x{wh}+{wx}+{wy} on a {sw}x{sh} screen: "
          f"{'fits' if window_on else 'does NOT fit'}; OK button {ow}x{oh}+{ax}+{ay}: "
          f"{'on screen' if ok_on else 'NOT on screen'}, sensitive {sens} (want {want})")
    preview_ok = True
    if len(sys.argv) == 6:
        m = re.search(r"vka-dialog: preview at (-?\d+),(-?\d+) (\d+)x(\d+) of "
                      r"(-?\d+),(-?\d+)\.\.(-?\d+),(-?\d+)", log)
        if not m:
            print(f"dialog_fits: no preview report in {sys.argv[2]}")
            return 2
        px, py, pw, ph, x0, y0, x1, y1 = (int(v) for v in m.groups())
        least = int(sys.argv[5])
        big = pw >= min(least, x1 - x0) and ph >= min(least, y1 - y0)
        centred = (abs(px - (x0 + (x1 - x0 - pw) // 2)) <= 1
                   and abs(py - (y0 + (y1 - y0 - ph) // 2)) <= 1)
        preview_ok = big and centred
        print(f"preview {pw}x{ph} at {px},{py} of {x0},{y0}..{x1},{y1}: "
              f"{'large enough' if big else 'too small'}, "
              f"{'centred' if centred else 'NOT centred'}")
    return 0 if window_on and ok_on and sens == want and preview_ok else 1


if __name__ == "__main__":
    sys.exit(main())
