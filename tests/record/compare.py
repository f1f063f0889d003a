"""Two PNGs of the same size differ little: mean absolute difference per channel under 2%."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
from png import read_png  # noqa: E402

wa, ha, ba, ra = read_png(sys.argv[1])
wb, hb, bb, rb = read_png(sys.argv[2])
if (wa, ha) != (wb, hb):
    print("sizes differ: %dx%d and %dx%d" % (wa, ha, wb, hb))
    sys.exit(1)
total = 0
for y in range(ha):
    for x in range(wa):
        for c in range(3):
            total += abs(ra[y][x * ba + c] - rb[y][x * bb + c])
mean = total / (wa * ha * 3)
print("mean difference %.2f of 255" % mean)
sys.exit(0 if mean < 255 * 0.02 else 1)
