"""`metaflow.plugins.argo`: the parts of Metaflow's Argo plugin flows import (ArgoEvent)."""
