"""What a salon is and whom it is for, in words: residents read them on the salon cards in
LINE, staff in the console's salon directory."""

from __future__ import annotations

from locales import N_

KIND_LABELS = {
    "fureai": N_("Fureai salon"),
    "kosodate": N_("Parenting salon"),
    "kayoi": N_("Exercise group"),
    "cafe": N_("Community café"),
    "ibasho": N_("Drop-in place"),
    "other": N_("Other gatherings"),
}
AUDIENCE_LABELS = {
    "elderly": N_("Older people"),
    "parents": N_("Parents with children"),
    "disability": N_("People with disabilities"),
    "anyone": N_("Anyone"),
}
