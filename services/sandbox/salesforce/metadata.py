"""Custom objects and fields read from Salesforce DX metadata source files.

The project deploys the same files to real orgs, so the sandbox and a real
org cannot disagree about which custom fields exist.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

from sandbox.salesforce import fieldkit as fk
from sandbox.salesforce.objects import standard_objects
from sandbox.salesforce.schema import FieldSchema, ObjectSchema, PicklistValue

_NS = "{http://soap.sforce.com/2006/04/metadata}"
# Metadata field type -> describe type; lengths come from the file or here.
_TYPES: dict[str, tuple[str, int]] = {
    "Text": ("string", 255), "TextArea": ("textarea", 255),
    "LongTextArea": ("textarea", fk.LONG_TEXT), "Html": ("textarea", fk.LONG_TEXT),
    "Number": ("double", 0), "Currency": ("currency", 0), "Percent": ("percent", 0),
    "Checkbox": ("boolean", 0), "Date": ("date", 0), "DateTime": ("datetime", 0),
    "Time": ("time", 0), "Email": ("email", 80), "Phone": ("phone", 40),
    "Url": ("url", 255), "Picklist": ("picklist", 255),
    "MultiselectPicklist": ("multipicklist", 4099), "Lookup": ("reference", 18),
    "MasterDetail": ("reference", 18), "AutoNumber": ("string", 30),
}


class MetadataError(ValueError):
    """A metadata file the loader cannot understand."""


def default_metadata_dir() -> Path:
    """Return the repository's DX source tree of objects."""
    root = Path(__file__).resolve().parents[3]
    return root / "deploy" / "salesforce" / "force-app" / "main" / "default" / "objects"


def load_org_objects(objects_dir: Path | None = None) -> dict[str, ObjectSchema]:
    """Build the org's objects: standard ones plus everything under ``objects_dir``."""
    objects = standard_objects()
    source = objects_dir if objects_dir is not None else default_metadata_dir()
    if source.is_dir():
        _load_tree(objects, source)
    _mirror_person_fields(objects)
    return objects


# Custom activity fields are defined once, on Activity, and appear on both.
_ACTIVITY_OBJECTS = ("Task", "Event")


def _load_tree(objects: dict[str, ObjectSchema], source: Path) -> None:
    custom_count = 0
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        name = folder.name
        if name == "Activity":
            for activity in _ACTIVITY_OBJECTS:
                _load_fields(objects[activity], folder)
            continue
        if name not in objects:
            if not name.endswith("__c"):
                raise MetadataError(f"unknown standard object {name!r}")
            custom_count += 1
            objects[name] = _custom_object(folder, custom_count)
        _load_fields(objects[name], folder)


def _load_fields(target: ObjectSchema, folder: Path) -> None:
    fields_dir = folder / "fields"
    if fields_dir.is_dir():
        for field_file in sorted(fields_dir.glob("*.field-meta.xml")):
            target.add(parse_field(field_file))


def _custom_object(folder: Path, ordinal: int) -> ObjectSchema:
    name = folder.name
    root = _parse(folder / f"{name}.object-meta.xml")
    label = _text(root, "label") or fk.label_for(name)
    obj = ObjectSchema(
        name=name, label=label, label_plural=_text(root, "pluralLabel") or label + "s",
        key_prefix=f"a{ordinal:02d}", custom=True,
    )
    obj.add(fk.id_field())
    obj.add(_name_field(root.find(f"{_NS}nameField")))
    for f in fk.system_fields():
        obj.add(f)
    return obj


def _name_field(node: ET.Element | None) -> FieldSchema:
    if node is None:
        return fk.text("Name", 80)
    label = _text(node, "label") or "Name"
    if _text(node, "type") == "AutoNumber":
        return fk.auto_number("Name", _text(node, "displayFormat") or "{0}", label=label)
    return fk.text("Name", 80, label=label)


def parse_field(path: Path) -> FieldSchema:
    """Read one ``<Field>.field-meta.xml`` into a field schema."""
    root = _parse(path)
    name = _text(root, "fullName") or path.name.removesuffix(".field-meta.xml")
    kind = _text(root, "type") or ""
    if kind not in _TYPES:
        raise MetadataError(f"{path}: unsupported field type {kind!r}")
    describe_type, length = _TYPES[kind]
    field = FieldSchema(
        name=name, type=describe_type, label=_text(root, "label") or fk.label_for(name),
        length=_int(root, "length", length),
        precision=_int(root, "precision", 18 if describe_type == "double" else 0),
        scale=_int(root, "scale", 0),
        external_id=_flag(root, "externalId"), unique=_flag(root, "unique"),
        default_value=_default(root, describe_type),
    )
    if describe_type == "boolean":
        field = dataclasses.replace(field, nillable=False)
    if _flag(root, "required") or kind == "MasterDetail":
        field = fk.required(field)
    if describe_type in ("picklist", "multipicklist"):
        field = _with_values(field, root)
    if describe_type == "reference":
        field = dataclasses.replace(
            field, reference_to=(_text(root, "referenceTo") or "",),
            relationship_name=name.removesuffix("__c") + "__r",
        )
    if kind == "AutoNumber":
        field = fk.auto_number(name, _text(root, "displayFormat") or "{0}", label=field.label)
    formula = _text(root, "formula")
    if formula is not None:
        field = dataclasses.replace(fk.readonly(field, calculated=True), formula=formula)
    return field


def _with_values(field: FieldSchema, root: ET.Element) -> FieldSchema:
    value_set = root.find(f"{_NS}valueSet")
    if value_set is None:
        return field
    values = tuple(
        PicklistValue(
            _text(v, "fullName") or "", _text(v, "label") or _text(v, "fullName") or "",
            default_value=_flag(v, "default"),
        )
        for v in value_set.iter(f"{_NS}value")
    )
    default = next((v.value for v in values if v.default_value), None)
    return dataclasses.replace(
        field, picklist_values=values, default_value=default,
        restricted_picklist=_flag(value_set, "restricted"),
    )


def _mirror_person_fields(objects: dict[str, ObjectSchema]) -> None:
    """Show Contact's custom fields on Account with ``__pc``, as person accounts do."""
    account, contact = objects["Account"], objects["Contact"]
    for f in list(contact.fields.values()):
        if not f.name.endswith("__c"):
            continue
        base = f.name.removesuffix("__c")
        relationship = f"{base}__pr" if f.relationship_name else None
        account.add(dataclasses.replace(
            f, name=f"{base}__pc", relationship_name=relationship,
        ))


def _default(root: ET.Element, describe_type: str) -> object:
    raw = _text(root, "defaultValue")
    if describe_type == "boolean":
        return raw == "true"
    return None


def _parse(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()  # noqa: S314 - the project's own files
    except (OSError, ET.ParseError) as exc:
        raise MetadataError(f"{path}: {exc}") from exc


def _text(node: ET.Element, tag: str) -> str | None:
    child = node.find(f"{_NS}{tag}")
    return child.text.strip() if child is not None and child.text else None


def _int(node: ET.Element, tag: str, default: int) -> int:
    raw = _text(node, tag)
    return int(raw) if raw else default


def _flag(node: ET.Element, tag: str) -> bool:
    return _text(node, tag) == "true"
