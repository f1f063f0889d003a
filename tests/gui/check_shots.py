"""Checks real content in Ringside's headless screenshots (run by gui_test.sh)."""
import json
import sys

from png import pixel, read_png

# The state colours (app/theme.cpp, the Okabe-Ito palette).
DIRTY = (230, 159, 0)        # orange: dirty in a ring / entry 01
ARMED = (0, 114, 178)        # blue: armed, next write logged
BITMAP = (213, 94, 0)        # vermillion: dirty in the bitmap
ERROR = (255, 120, 60)       # errno text in the dark theme
OK = (80, 210, 150)          # success text in the dark theme

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def near(a, b, tol=8):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def cell(img, layout, grid, index):
    g = layout["grids"][grid]
    per, cols = g["per_cell"], g["columns"]
    c = index // per
    x = g["x"] + (c % cols + 0.5) * g["cell_w"]
    y = g["y"] + (c // cols + 0.5) * g["cell_h"]
    return pixel(img, x, y)


def count_colour(img, panel, colour):
    """Pixels of about this colour in a panel (text is antialiased: its core pixels are)."""
    n = 0
    for y in range(int(panel["y"]), int(panel["y"] + panel["h"])):
        for x in range(int(panel["x"]), int(panel["x"] + panel["w"])):
            if near(pixel(img, x, y), colour, 30):
                n += 1
    return n


out = sys.argv[1]

# 1. The default scenario (app/model.cpp), worked out from kvm-dirty-tracking.md §7-§8:
# vCPU 0 pushed 32 entries (0x100..0x11f), 20 were harvested and reset, then 8 more writes to
# the re-armed pages 0x100..0x107 pushed entries 32..39. So entry 39, the one just pushed, is
# dirty (01); entry 5 was reset (00). Page offset 25 is in the ring (dirty, not harvested),
# offset 10 was re-armed by the reset and not written again, offset 0x50 holds KVM's own write
# during an ITS save, which went to the bitmap.
img = read_png(out + "/default.png")
lay = json.load(open(out + "/default.json"))
expect(near(cell(img, lay, "ring focused", 39), DIRTY), "ring entry 39 is dirty (orange)")
expect(not near(cell(img, lay, "ring focused", 5), DIRTY), "ring entry 5 was reset")
mem = "memory slot 0"
expect(near(cell(img, lay, mem, 25), DIRTY), "page offset 25 is dirty in the ring")
expect(near(cell(img, lay, mem, 10), ARMED), "page offset 10 is armed again after the reset")
expect(near(cell(img, lay, mem, 0x50), BITMAP), "page offset 0x50 is dirty in the bitmap")
for panel in ("console", "vcpus", "memory", "rings", "capabilities", "bitmaps", "timeline"):
    expect(panel in lay["panels"], "panel %s was drawn" % panel)

# 2. A failed enable shows its errno: the console holds error-coloured text; a clean run's
# console holds none.
bad = read_png(out + "/failed.png")
bad_lay = json.load(open(out + "/failed.json"))
expect(count_colour(bad, bad_lay["panels"]["console"], ERROR) > 20,
       "the console shows the failed enable's -EINVAL in the error colour")
ok = read_png(out + "/clean.png")
ok_lay = json.load(open(out + "/clean.json"))
expect(count_colour(ok, ok_lay["panels"]["console"], ERROR) == 0,
       "a scenario without failures shows no error colour in the console")

# 3. --steps 2 stops after the ring is enabled: no vCPU has pushed anything yet.
early = json.load(open(out + "/steps.json"))
expect("ring focused" not in early.get("grids", {}), "with --steps 2 no ring exists yet")

# 4. A typed command with an error shows it inline in the console, in the error colour.
typed = read_png(out + "/typed.png")
typed_lay = json.load(open(out + "/typed.json"))
expect(count_colour(typed, typed_lay["panels"]["console"], ERROR) > 20,
       "a malformed typed command shows its error inline")

# 5. The memory-order view (ordering.md): the ring's publish handshake with a plain harvester
# is allowed to go wrong on arm64 (MP + DMB ISHST, plain reads); with acquire/release it is
# forbidden, and on x86 (TSO) it is forbidden. The verdict line says so in its colour.
# The race explorer over the whole protocol: a plain harvester on arm64 loses pages, an
# acquire/release one does not.
for name, bad_verdict in (("order-bad", True), ("order-acqrel", False), ("order-x86", False),
                          ("explore-plain", True), ("explore-acqrel", False)):
    img = read_png(out + "/%s.png" % name)
    lay = json.load(open(out + "/%s.json" % name))
    expect("ordering" in lay["panels"], "%s: the memory-order panel was drawn" % name)
    box = lay["items"]["ordering verdict"]
    errors, oks = count_colour(img, box, ERROR), count_colour(img, box, OK)
    if bad_verdict:
        expect(errors > 20 and oks == 0, "%s: the verdict says allowed, in the error colour" % name)
    else:
        expect(oks > 20 and errors == 0, "%s: the verdict says forbidden, in the ok colour" % name)

# 6. Lessons: the README's run command opens lesson 1 in the Lesson panel; every lesson of
# the course renders its step with the panel it focuses outlined.
import glob
import os
first = json.load(open(out + "/lesson-default.json"))
expect("lesson" in first["panels"], "the app opens on a lesson")
for path in sorted(glob.glob(out + "/lesson-[0-9]*.json")):
    lay = json.load(open(path))
    expect("lesson" in lay["panels"], "%s: the lesson panel was drawn" % os.path.basename(path))

# 7. The migration view (migration.hpp): the four modes' cards and per-round bars, each mode in
# its colour (app/panel_migration.cpp), once the worker has finished; no lost page with a correct
# protocol; with the ITS save, the red box names the lost pages.
MODES = {"bitmap": (213, 94, 0), "clear": (204, 121, 167), "ring": (230, 159, 0),
         "ring+bitmap": (86, 180, 233)}


def visible(img, box):
    """The part of a layout box inside the picture (a scrolled view draws beyond it)."""
    w, h = img[0], img[1]
    x0, y0 = max(0, box["x"]), max(0, box["y"])
    x1, y1 = min(w, box["x"] + box["w"]), min(h, box["y"] + box["h"])
    return {"x": x0, "y": y0, "w": max(0, x1 - x0), "h": max(0, y1 - y0)}


for name in ("migration", "migration-lost", "migration-presenter"):
    img = read_png(out + "/%s.png" % name)
    lay = json.load(open(out + "/%s.json" % name))
    expect("migration" in lay["panels"], "%s: the migration panel was drawn" % name)
    expect("migration plots" in lay["items"], "%s: the cards and plots were drawn" % name)
    if "migration plots" not in lay["items"]:
        continue
    for mode, colour in MODES.items():
        box = lay["items"].get("migration dirty " + mode)
        expect(box and count_colour(img, visible(img, box), colour) > 100,
               "%s: %s mode's dirty pages a round are drawn, in its colour" % (name, mode))
    plots = visible(img, lay["items"]["migration plots"])
    expect(count_colour(img, plots, OK) > 20, "%s: the cards say converged" % name)
clean = json.load(open(out + "/migration.json"))
expect("migration lost" not in clean["items"], "a correct protocol loses no page")
for name in ("migration-lost", "migration-presenter"):
    lay = json.load(open(out + "/%s.json" % name))
    expect("migration lost" in lay["items"], "%s: the lost pages are listed" % name)
    expect("migration dirty this-vm" in lay["items"],
           "%s: the timeline's own migration is shown as this VM" % name)
    if "migration lost" in lay["items"]:
        box = visible(read_png(out + "/%s.png" % name), lay["items"]["migration lost"])
        expect(count_colour(read_png(out + "/%s.png" % name), box, ERROR) > 200,
               "%s: the lost pages are in the error colour" % name)

notes = json.load(open(out + "/notes.json"))
expect("notes" in notes["panels"], "the presenter-notes window draws its panel")

print("GUI checks:", "FAILED" if failures else "all passed")
sys.exit(1 if failures else 0)
