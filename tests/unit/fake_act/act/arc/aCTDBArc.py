"""Fake aCTDBArc on a JSON file: jobs are {"id", "states": [rows still to come], "row": {...}}."""
import json
import os


class _MutexLocks:
    """aCT's database connection (aCTDBArc.db): the named locks, counted in the JSON file."""

    def __init__(self, owner):
        self.owner = owner

    def getMutexLock(self, lock_name, timeout=2):  # pylint: disable=invalid-name,unused-argument
        if self.owner.state.get("lock_busy"):
            return 0
        self.owner.state.setdefault("locks", []).append("get " + lock_name)
        self.owner._save()  # pylint: disable=protected-access
        return 1

    def releaseMutexLock(self, lock_name):  # pylint: disable=invalid-name
        self.owner.state.setdefault("locks", []).append("release " + lock_name)
        self.owner._save()  # pylint: disable=protected-access
        return 1


class aCTDBArc:  # pylint: disable=invalid-name
    def __init__(self, log):
        self.log = log
        self.path = os.environ["FAKE_ACT_DB"]
        with open(self.path) as handle:
            self.state = json.load(handle)
        if self.state.get("db_down"):
            raise RuntimeError("2003 (HY000): Can't connect to MySQL server on '127.0.0.1:3306' (111)")
        self.db = _MutexLocks(self)

    def _save(self):
        with open(self.path, "w") as handle:
            json.dump(self.state, handle)

    def insertArcJobDescription(self, jobdesc, proxyid="", maxattempts=0, clusterlist="",  # pylint: disable=invalid-name
                                appjobid="", downloadfiles="", fairshare=""):
        job_id = len(self.state["jobs"]) + 1
        self.state["jobs"].append({"id": job_id, "states": self.state.get("next_states", []),
                                   "row": {"id": job_id, "arcstate": "tosubmit", "clusterlist": clusterlist},
                                   "inserted": {"jobdesc": jobdesc, "proxyid": proxyid, "appjobid": appjobid,
                                                "downloadfiles": downloadfiles}})
        self._save()
        return {"LAST_INSERT_ID()": job_id}

    def getArcJobInfo(self, id, columns=[]):  # pylint: disable=invalid-name,redefined-builtin,dangerous-default-value
        for job in self.state["jobs"]:
            if job["id"] == id:
                if job["states"]:
                    job["row"].update(job["states"].pop(0))
                    self._save()
                return dict((k, v) for k, v in job["row"].items() if not columns or k in columns)
        return None

    def deleteArcJob(self, id):  # pylint: disable=invalid-name,redefined-builtin
        self.state["jobs"] = [job for job in self.state["jobs"] if job["id"] != id]
        self._save()

    def updateArcJob(self, id, desc, job=None):  # pylint: disable=invalid-name,redefined-builtin,unused-argument
        for row in self.state["jobs"]:
            if row["id"] == id:
                row["row"].update(desc)
                row["states"] = []
        self._save()

    @staticmethod
    def getTimeStamp(seconds=None):  # pylint: disable=invalid-name,unused-argument
        return "2026-12-03T12:00:00"
