"""Fake aCTDBArc on a JSON file: jobs are {"id", "states": [rows still to come], "row": {...}}."""
import json
import os


class aCTDBArc:  # pylint: disable=invalid-name
    def __init__(self, log):
        self.log = log
        self.path = os.environ["FAKE_ACT_DB"]
        with open(self.path) as handle:
            self.state = json.load(handle)
        if self.state.get("db_down"):
            raise RuntimeError("2003 (HY000): Can't connect to MySQL server on '127.0.0.1:3306' (111)")

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
