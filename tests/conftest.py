# SPDX-License-Identifier: Apache-2.0
import sys
from pathlib import Path

# The harness lives beside this file; tests import it by name from any subfolder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
