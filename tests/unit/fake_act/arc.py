"""Fake ``arc`` bindings: a job description is valid when it starts with '&'."""


class JobDescriptionList(list):
    pass


def JobDescription_Parse(text, descs):  # pylint: disable=invalid-name
    if not text.strip().startswith("&"):
        return False
    descs.append(text)
    return True
