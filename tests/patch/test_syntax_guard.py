"""Syntax guard on real-looking C/C++ files: the grammar that fits a header, and only errors the edit
makes near the lines it changed (issue 17)."""

from __future__ import annotations

from agent.patch import apply_patch

from .conftest import udiff

SETTINGS_H = """#ifndef SETTINGS_H
#define SETTINGS_H

#include <string>
#include <vector>
#include "iniparser.h"

struct PackageRec
{
    std::string entry;         //! .entry filename for installed
    std::string title;
    std::string name;
    std::string remote_server;
    std::string local_file;
    std::vector<std::string> groups;
    std::string version;
    long int bytes;
    bool installable;
    bool downloaded;
};

extern std::string g_MasterPath;

PackageRec* ReadSettings(const IniParser& ini, int* recCount, const std::string& appPath);
PackageRec* FindRec(const std::string& title, const std::string& version, PackageRec* list, int count);
// utility
std::string GetSizeString(int bytes);

#endif // SETTINGS_H
"""

SETTINGS_CPP = """#include "settings.h"

std::string g_MasterPath;

std::string GetSizeString(int bytes)
{
    std::string ret;
    float size = bytes;
    if (size > 1024)
    {
        size /= 1024;
        ret = std::to_string(size) + " KB";
    }
    return ret;
}
"""


# A wxWidgets dialog header: C++ (references, a class), and DECLARE_EVENT_TABLE() without its ';',
# which even the C++ grammar reads as an error. So the file has a parse error before any edit.
UPDATEDLG_H = """#ifndef UPDATEDLG_H
#define UPDATEDLG_H

#include <wx/dialog.h>
#include "settings.h"

class UpdateDlg : public wxDialog
{
    public:
        UpdateDlg(wxWindow* parent);
        virtual ~UpdateDlg();
        void EndModal(int retCode);
    protected:
        void OnFileSelected(wxListEvent& event);
        void OnUpdate(wxCommandEvent& event);
        void FillGroups();
        bool FilterRec(PackageRec* rec);
        PackageRec* m_Recs;
        int m_RecsCount;
        DECLARE_EVENT_TABLE()
    private:
        bool m_HasUpdated;
};

#endif // UPDATEDLG_H
"""


def _project(tmp_path):
    (tmp_path / "updatedlg.h").write_text(UPDATEDLG_H)
    (tmp_path / "settings.h").write_text(SETTINGS_H)
    (tmp_path / "settings.cpp").write_text(SETTINGS_CPP)
    h_after = SETTINGS_H.replace("    long int bytes;\n", "    long int bytes;\n    float kilobytes;\n    std::string size;\n")
    h_after = h_after.replace("int* recCount, const std::string& appPath",
                              "int* recCount, const std::string& currentServer, const std::string& appPath")
    cpp_after = SETTINGS_CPP.replace('" KB";\n    }\n', '" KB";\n    }\n    else\n        ret = std::to_string(bytes) + " bytes";\n')
    dlg_after = UPDATEDLG_H.replace("        void FillGroups();\n", "        void FillGroups();\n"
                                    "        void FillFiles(const PackageRec& rec, const wxString& filter);\n")
    dlg_after = dlg_after.replace("        bool m_HasUpdated;\n", "        bool m_HasUpdated;\n        wxString m_CurrentServer;\n")
    diff = (udiff(SETTINGS_H, h_after, "settings.h") + udiff(SETTINGS_CPP, cpp_after, "settings.cpp")
            + udiff(UPDATEDLG_H, dlg_after, "updatedlg.h"))
    return diff, h_after, cpp_after, dlg_after


def test_cpp_headers_are_parsed_as_cpp_and_a_correct_multi_file_patch_applies(tmp_path):
    # As C, both headers get new errors from the edit (C has no references); as C++, settings.h
    # parses cleanly and updatedlg.h keeps its one old error, away from the changed lines.
    diff, h_after, cpp_after, dlg_after = _project(tmp_path)
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert (tmp_path / "settings.h").read_text() == h_after
    assert (tmp_path / "settings.cpp").read_text() == cpp_after
    assert (tmp_path / "updatedlg.h").read_text() == dlg_after


def test_a_broken_edit_to_a_cpp_header_is_still_refused(tmp_path):
    (tmp_path / "settings.h").write_text(SETTINGS_H)
    broken = SETTINGS_H.replace("    bool downloaded;\n", "    bool downloaded\n    bool installed;;;}}\n")
    result = apply_patch(tmp_path, udiff(SETTINGS_H, broken, "settings.h"))
    assert not result.ok
    assert "would introduce a cpp " in result.files[0].error
    assert (tmp_path / "settings.h").read_text() == SETTINGS_H


# A C file that already has a parse error (an unfinished statement in a macro loop).
LEGACY_C = """#include <stdio.h>

#define FOREACH(i, n) for (int i = 0; i < (n); i++)

static int count = 0;

int broken(void)
{
    FOREACH(i, 3) {
        count += i
    }
    return count;
}

int mul(int a, int b)
{
    return a * b;
}
"""


def test_a_new_error_next_to_the_change_in_an_already_broken_file_is_refused(tmp_path):
    (tmp_path / "legacy.c").write_text(LEGACY_C)
    after = LEGACY_C.replace("    return a * b;\n", "    int r = a * * b;;\n    return r +;\n")
    result = apply_patch(tmp_path, udiff(LEGACY_C, after, "legacy.c"))
    assert not result.ok
    error = result.files[0].error
    assert "would introduce a c " in error and "fewer errors there" in error
    assert (tmp_path / "legacy.c").read_text() == LEGACY_C
